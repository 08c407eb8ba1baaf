/* An external program using the installed libkiln: reads a profile (a .kiln
 * file, or any format kiln reads) and prints its sample types, totals and
 * node count. Built by tests/interchange/test_install.py against an install
 * prefix, via pkg-config and via find_package(kiln). */
#include <stdio.h>

#include <kiln/import.h>
#include <kiln/profile.h>
#include <kiln/status.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: example FILE.kiln\n");
        return 2;
    }
    kiln_profile *p = NULL;
    kiln_error err;
    if (kiln_import_path(argv[1], NULL, &p, &err) != KILN_OK) {
        fprintf(stderr, "example: '%s': %s\n", argv[1], err.msg);
        return 1;
    }
    printf("format %s\n", kiln_profile_meta_get(p, KILN_META_FORMAT));
    for (int t = 0; t < kiln_profile_sample_type_count(p); t++)
        printf("type %s %s %.17g\n", kiln_profile_sample_type_name(p, t), kiln_profile_sample_type_unit(p, t),
               kiln_profile_total(p, t));
    printf("nodes %u\n", kiln_profile_node_count(p));
    kiln_profile_free(p);
    return 0;
}
