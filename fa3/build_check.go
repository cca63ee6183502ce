package fa3

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ksef2/ksef/ident"
)

func (b *builder) text(field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		b.fail("%s is required", field)
	case utf8.RuneCountInString(v) > max:
		b.fail("%s is longer than %d characters", field, max)
	case strings.TrimSpace(v) != v:
		b.fail("%s %q has leading or trailing spaces", field, v)
	}
}

func (b *builder) date(field, v string, required bool) {
	if v == "" {
		if required {
			b.fail("%s is required", field)
		}
		return
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		b.fail("%s %q is not a date (want YYYY-MM-DD)", field, v)
		return
	}
	if d.Year() < 2006 || d.After(time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)) {
		b.fail("%s %s is outside 2006-01-01..2050-01-01", field, v)
	}
}

func (b *builder) nip(field, v string) {
	if err := checkNIP(v); err != nil {
		b.fail("%s: %v", field, err)
	}
}

// checkNIP checks a NIP with [ident.ParseNIP] (pattern and checksum).
func checkNIP(s string) error {
	if s == "" {
		return errors.New("NIP is required")
	}
	_, err := ident.ParseNIP(s)
	return identProblem(err)
}

// checkKSeFNumber checks a KSeF number with [ident.ParseKSeFNumber]: a
// 35-character number's shape, date and CRC-8, or a legacy 36-character
// number's shape and date.
func checkKSeFNumber(s string) error {
	_, err := ident.ParseKSeFNumber(s)
	return identProblem(err)
}

// identProblem words an *ident.IdentifierError for a [BuildError] problem,
// without the "ksef: " prefix of its message: `NIP "..." has a wrong
// checksum`, or `NIP "...": must be 10 digits`.
func identProblem(err error) error {
	var ie *ident.IdentifierError
	if !errors.As(err, &ie) {
		return err
	}
	if ie.Reason == ident.ReasonChecksum {
		return fmt.Errorf("%s %q has a wrong checksum", ie.Kind, ie.Value)
	}
	return fmt.Errorf("%s %q: %s", ie.Kind, ie.Value, ie.Reason)
}
