/* The timeline of a profile: samples in the order they were taken, kept for
 * the time-ordered flame chart (kiln/profile.h). */
#include <stdlib.h>

#include "profile_impl.h"

int kiln_profile_timeline_add(kiln_profile *p, double t, kiln_node_id node, double value)
{
    if (p->ntimeline >= KILN_TIMELINE_MAX) {
        p->timeline_dropped++;
        return 0;
    }
    if (p->ntimeline == p->cap_timeline &&
        ki_grow((void **)&p->timeline, &p->cap_timeline, p->ntimeline + 1, sizeof *p->timeline) != 0) {
        /* a partial timeline would mislead: drop it all */
        p->timeline_dropped += p->ntimeline + 1;
        free(p->timeline);
        p->timeline = NULL;
        p->ntimeline = p->cap_timeline = 0;
        return -1;
    }
    p->timeline[p->ntimeline++] = (kiln_timed_sample){t, node, (float)value};
    return 0;
}

size_t kiln_profile_timeline_count(const kiln_profile *p)
{
    return p ? p->ntimeline : 0;
}

const kiln_timed_sample *kiln_profile_timeline(const kiln_profile *p)
{
    return p && p->ntimeline ? p->timeline : NULL;
}

uint64_t kiln_profile_timeline_dropped(const kiln_profile *p)
{
    return p ? p->timeline_dropped : 0;
}
