/* Deterministic garbage for hostile programs (garbage.h). */
#include <garbage.h>

uint64_t garbage_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

void garbage_fill(void *at, size_t bytes, uint64_t *state)
{
    uint64_t *w = at;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = garbage_next(state);
}
