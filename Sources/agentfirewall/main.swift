print("agentfirewall")
