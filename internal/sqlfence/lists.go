package sqlfence

import "strings"

// What reaches beyond the database, by name. The engine runs with its
// process's rights (embedded) or its server's (production), and both reach
// hosts through table functions, a few scalar functions and settings; the
// lists below are what every fence of the service refuses or allows.

// TableFunctionsAllowed read nothing outside the engine: generated rows,
// literal rows, a subquery. Every other table function the engine has is
// refused wherever its name appears, so one a new release adds is refused
// until it is listed here.
var TableFunctionsAllowed = Set("numbers", "numbers_mt", "zeros", "zeros_mt", "values", "sqlstandardvalues",
	"null", "view", "generaterandom", "generate_series", "generateseries", "format", "primes")

// AllowedTableFunctions is TableFunctionsAllowed as messages spell it.
const AllowedTableFunctions = "numbers, numbers_mt, zeros, zeros_mt, values, null, view, generateRandom, generate_series, format, primes"

// ScalarDenied reports functions (by lower-case name) that read files or
// resolve a table named in a string, which no name check would see (and
// which the embedded engine's Filesystem overlay may turn into a host file).
func ScalarDenied(lower string) bool {
	switch lower {
	case "file", "hascolumnintable", "joinget", "joingetornull", "catboostevaluate":
		return true
	}
	return strings.HasPrefix(lower, "dictget") || lower == "dicthas" || lower == "dictisin"
}

// settingsDenied read or write files, fetch URLs, change which engine a
// table gets, or turn on functions that read the binary.
var settingsDenied = Set("format_schema", "format_schema_source", "output_format_schema", "format_template_resultset",
	"format_template_row", "input_format_record_errors_file_path", "format_avro_schema_registry_url", "url_base",
	"into_outfile_create_parent_directories", "rename_files_after_processing", "allow_introspection_functions",
	"default_table_engine", "default_temporary_table_engine")

// SettingDenied reports whether a setting reaches files, the network or the
// engine's internals.
func SettingDenied(name string) bool {
	l := strings.ToLower(name)
	return settingsDenied[l] || strings.HasPrefix(l, "dynamic_disk_")
}

// Set makes a set of names.
func Set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}
