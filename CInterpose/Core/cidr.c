/* CIDR blocks for network rules. inet_pton is pure parsing (no syscall, no locale, no
 * resolver), so it is safe on the hook path. */
#include "afw_core.h"

#include <arpa/inet.h>
#include <string.h>

/* Longest address text inet_pton accepts (IPv6 with an embedded IPv4 tail), plus its NUL. */
#define ADDRESS_TEXT_MAX 46

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static uint8_t family_bits(uint8_t family)
{
    return family == 4 ? 32 : 128;
}

static void mask_host_bits(uint8_t address[16], uint8_t prefix_length)
{
    for (unsigned bit = prefix_length; bit < 128; bit++)
        address[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

static bool prefix_equal(const uint8_t *block, const uint8_t *address, unsigned prefix_length)
{
    unsigned whole_bytes = prefix_length / 8;
    if (memcmp(block, address, whole_bytes) != 0)
        return false;
    unsigned rest = prefix_length % 8;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (block[whole_bytes] & mask) == (address[whole_bytes] & mask);
}

/* Only plain decimal: strtoul would accept "+8", " 8" and "0x8", which no CIDR tool means. */
static bool parse_prefix_length(const char *text, unsigned maximum, uint8_t *prefix_length)
{
    if (*text == '\0' || strlen(text) > 3)
        return false;
    unsigned value = 0;
    for (; *text != '\0'; text++) {
        if (*text < '0' || *text > '9')
            return false;
        value = value * 10 + (unsigned)(*text - '0');
    }
    if (value > maximum)
        return false;
    *prefix_length = (uint8_t)value;
    return true;
}

int afw_cidr_parse(const char *text, uint8_t *family, uint8_t address[16], uint8_t *prefix_length)
{
    if (text == NULL || family == NULL || address == NULL || prefix_length == NULL)
        return AFW_E_INVALID;
    const char *slash = strchr(text, '/');
    size_t address_length = slash != NULL ? (size_t)(slash - text) : strlen(text);
    if (address_length == 0 || address_length >= ADDRESS_TEXT_MAX)
        return AFW_E_INVALID;
    char address_text[ADDRESS_TEXT_MAX];
    memcpy(address_text, text, address_length);
    address_text[address_length] = '\0';

    uint8_t parsed[16] = {0};
    uint8_t parsed_family;
    if (inet_pton(AF_INET, address_text, parsed) == 1)
        parsed_family = 4;
    else if (inet_pton(AF_INET6, address_text, parsed) == 1)
        parsed_family = 6;
    else
        return AFW_E_INVALID;

    uint8_t length = family_bits(parsed_family);
    if (slash != NULL && !parse_prefix_length(slash + 1, family_bits(parsed_family), &length))
        return AFW_E_INVALID;
    mask_host_bits(parsed, length);
    *family = parsed_family;
    memcpy(address, parsed, 16);
    *prefix_length = length;
    return AFW_OK;
}

bool afw_cidr_contains(uint8_t block_family, const uint8_t block_address[16], uint8_t prefix_length,
                       uint8_t family, const uint8_t address[16])
{
    if (block_address == NULL || address == NULL)
        return false;
    if ((block_family != 4 && block_family != 6) || (family != 4 && family != 6))
        return false;
    if (prefix_length > family_bits(block_family))
        return false;
    if (block_family == family)
        return prefix_equal(block_address, address, prefix_length);
    /* A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; without this, a connect to
     * ::ffff:10.0.0.1 would slip past a rule on 10.0.0.0/8. */
    if (block_family == 4)
        return memcmp(address, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0 &&
               prefix_equal(block_address, address + 12, prefix_length);
    uint8_t mapped[16];
    memcpy(mapped, v4_mapped_prefix, sizeof v4_mapped_prefix);
    memcpy(mapped + 12, address, 4);
    return prefix_equal(block_address, mapped, prefix_length);
}
