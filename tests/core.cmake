# The model, the reader and the CLI skeleton.
kiln_add_unit_test(model)
kiln_add_unit_test(reader LIBS PkgConfig::ZLIB)
