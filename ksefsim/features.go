package ksefsim

import (
	"net/http"
	"strings"
)

// featureSubjectValidation is the X-KSeF-Feature value that turns on the
// validation of the identifiers of the parties named on the invoices of a
// session (API 2.8.1).
const featureSubjectValidation = "subject-identifier-validation"

// hasFeature reports whether the request's X-KSeF-Feature headers (one
// or more, each possibly a comma-separated list) name feature.
func hasFeature(h http.Header, feature string) bool {
	for _, v := range h.Values("X-KSeF-Feature") {
		for f := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), feature) {
				return true
			}
		}
	}
	return false
}
