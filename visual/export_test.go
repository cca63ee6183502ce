package visual

import "flag"

// AddDecimalsForTest exposes addDecimals to the external tests.
var AddDecimalsForTest = addDecimals

// updateFlag reports whether the tests run with -update (the flag is
// defined by the external test package).
func updateFlag() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}
