/* libFuzzer harness: the Python marshal reader alone (libreport/src/marshal.c). */
#include <stddef.h>
#include <stdint.h>

#include "marshal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ki_marshal m;
    kiln_error err;
    kiln_error_clear(&err);
    if (ki_marshal_parse(&m, data, size, &err) == KILN_OK) {
        /* Touch every node and kid so out-of-range ids would be caught. */
        volatile uint64_t sink = 0;
        for (uint32_t i = 0; i < m.n_nodes; i++) {
            const ki_mnode *n = ki_marshal_node(&m, i);
            if (n->type == KI_M_STR || n->type == KI_M_BYTES) {
                if (n->n)
                    sink += (unsigned char)ki_marshal_str(&m, n)[n->n - 1];
            } else if (n->type >= KI_M_TUPLE) {
                for (uint32_t k = 0; k < n->n; k++)
                    sink += ki_marshal_node(&m, ki_marshal_kid(&m, n, k))->type;
            }
        }
        (void)sink;
        ki_marshal_release(&m);
    }
    return 0;
}
