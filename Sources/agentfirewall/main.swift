import AgentFirewallCommands

AgentFirewall.main()
