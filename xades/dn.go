package xades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// attributeNames maps attribute type OIDs to the short names used by .NET's
// X500DistinguishedName (the official KSeF client writes X509IssuerName with it).
// Types missing here are written as "OID.<dotted>".
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "S",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.42":                   "G",
	"2.5.4.43":                   "I",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.17":                   "PostalCode",
	"2.5.4.18":                   "POBox",
	"2.5.4.20":                   "Phone",
	"2.5.4.13":                   "Description",
	"1.2.840.113549.1.9.1":       "E",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// attributeOIDs maps names accepted when parsing a distinguished name to OIDs. It holds the
// .NET names above plus the RFC 4514 / OpenSSL spellings.
var attributeOIDs = func() map[string]string {
	m := map[string]string{
		"ST":                     "2.5.4.8",
		"GIVENNAME":              "2.5.4.42",
		"GN":                     "2.5.4.42",
		"SURNAME":                "2.5.4.4",
		"TITLE":                  "2.5.4.12",
		"INITIALS":               "2.5.4.43",
		"EMAILADDRESS":           "1.2.840.113549.1.9.1",
		"EMAIL":                  "1.2.840.113549.1.9.1",
		"ORGANIZATIONIDENTIFIER": "2.5.4.97",
		"POSTALCODE":             "2.5.4.17",
		"STREETADDRESS":          "2.5.4.9",
	}
	for oid, name := range attributeNames {
		m[strings.ToUpper(name)] = oid
	}
	return m
}()

// FormatName formats an X.509 name, given as its DER encoding (for example
// Certificate.RawIssuer), the way X509IssuerName is written: RFC 4514 order (most specific
// RDN first), ", " between RDNs, " + " inside multi-valued RDNs, .NET short names for known
// attribute types (CN, O, OU, C, L, S, STREET, SERIALNUMBER, G, SN, E, ...) and
// "OID.2.5.4.97=..." for others. Values are escaped per RFC 4514.
func FormatName(rawName []byte) (string, error) {
	var rdns pkix.RDNSequence
	rest, err := asn1.Unmarshal(rawName, &rdns)
	if err != nil {
		return "", fmt.Errorf("xades: parse name: %w", err)
	}
	if len(rest) != 0 {
		return "", fmt.Errorf("xades: parse name: trailing data")
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			b.WriteString(", ")
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				b.WriteString(" + ")
			}
			oid := atv.Type.String()
			if name, ok := attributeNames[oid]; ok {
				b.WriteString(name)
			} else {
				b.WriteString("OID." + oid)
			}
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(escapeDNValue(s))
			} else {
				der, err := asn1.Marshal(atv.Value)
				if err != nil {
					return "", fmt.Errorf("xades: encode name attribute %s: %w", oid, err)
				}
				b.WriteString("#" + hex.EncodeToString(der))
			}
		}
	}
	return b.String(), nil
}

// escapeDNValue escapes an attribute value per RFC 4514 section 2.4; control characters are
// written as \XX hex pairs so that the result is always valid XML text.
func escapeDNValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '"' || r == '+' || r == ',' || r == ';' || r == '<' || r == '>' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case i == 0 && (r == ' ' || r == '#'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == ' ' && i == len(s)-1:
			b.WriteString("\\ ")
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\%02X", r)
		case r == utf8.RuneError && invalidAt(s, i):
			// Invalid UTF-8 in the input: keep the original byte as a hex pair.
			fmt.Fprintf(&b, "\\%02X", s[i])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// invalidAt reports whether s holds an invalid UTF-8 sequence at byte offset i.
func invalidAt(s string, i int) bool {
	r, w := utf8.DecodeRuneInString(s[i:])
	return r == utf8.RuneError && w == 1
}
