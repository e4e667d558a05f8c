/*
 * segment_layout.h: where the rings and the table sit in the shared segment. Internal to
 * the core.
 *
 * The agent can write to every byte of the segment, header included, so the ring code never
 * takes an offset, count or size from the header: a scribbled req_offset would otherwise
 * steer the supervisor's reads outside its mapping. The rings therefore come first, at
 * offsets fixed by the ABI's slot constants, and the table (the only variable-sized region)
 * comes last. The header still carries the offsets, for readers such as the supervisor's
 * diagnostics, and afw_segment_check insists that they agree with these constants.
 *
 * Regions are aligned to 64 KiB, the largest page size Linux uses on common hardware, so
 * that the shim can mprotect the table read-only on any of them.
 */
#ifndef AFW_SEGMENT_LAYOUT_H
#define AFW_SEGMENT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentfirewall_abi.h"

#define AFW_LAYOUT_ALIGN ((size_t)65536)
#define AFW_LAYOUT_ALIGN_UP(n) (((n) + AFW_LAYOUT_ALIGN - 1) & ~(AFW_LAYOUT_ALIGN - 1))

#define AFW_LAYOUT_REQ_OFFSET AFW_LAYOUT_ALIGN_UP(sizeof(struct afw_segment_header))
#define AFW_LAYOUT_EVT_OFFSET \
    AFW_LAYOUT_ALIGN_UP(AFW_LAYOUT_REQ_OFFSET + (size_t)AFW_REQ_SLOT_COUNT * AFW_REQ_SLOT_SIZE)
#define AFW_LAYOUT_TABLE_OFFSET \
    AFW_LAYOUT_ALIGN_UP(AFW_LAYOUT_EVT_OFFSET + (size_t)AFW_EVT_SLOT_COUNT * AFW_EVT_SLOT_SIZE)

static inline struct afw_req_slot_header *afw_layout_req_slot(struct afw_segment_header *segment,
                                                              uint32_t index) {
    return (struct afw_req_slot_header *)((char *)segment + AFW_LAYOUT_REQ_OFFSET +
                                          (size_t)(index % AFW_REQ_SLOT_COUNT) * AFW_REQ_SLOT_SIZE);
}

static inline struct afw_evt_slot_header *afw_layout_evt_slot(struct afw_segment_header *segment,
                                                              uint64_t position) {
    return (struct afw_evt_slot_header *)((char *)segment + AFW_LAYOUT_EVT_OFFSET +
                                          (size_t)(position % AFW_EVT_SLOT_COUNT) * AFW_EVT_SLOT_SIZE);
}

/* For afw_supervisor_wait: is there work it must not sleep through? */
bool afw_evt_has_record(struct afw_segment_header *segment);
bool afw_req_has_ready(struct afw_segment_header *segment);

#endif
