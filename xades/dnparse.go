package xades

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
)

// nameAttr is one attribute of a parsed distinguished name.
type nameAttr struct {
	oid   string
	value string
	der   []byte // the DER encoding of the value when written as #hex
}

var errBadDN = errors.New("xades: malformed distinguished name")

// parseDN parses a distinguished name string in RFC 4514 form, tolerating the spellings of
// RFC 2253, RFC 1779 and .NET (";" separators, quoted values, "OID." prefixes, spaces around
// separators). RDNs are returned in the order written.
func parseDN(s string) ([][]nameAttr, error) {
	var rdns [][]nameAttr
	var cur []nameAttr
	i := 0
	skipSpaces := func() {
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	for {
		skipSpaces()
		if i >= len(s) {
			if len(cur) != 0 || len(rdns) != 0 {
				return nil, errBadDN // trailing separator
			}
			return nil, nil
		}
		// Attribute type.
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return nil, errBadDN
		}
		typ := strings.TrimSpace(s[i : i+eq])
		i += eq + 1
		oid, err := attributeOID(typ)
		if err != nil {
			return nil, err
		}
		skipSpaces()
		// Attribute value.
		var val, hexDER []byte
		switch {
		case i < len(s) && s[i] == '#':
			j := i + 1
			for j < len(s) && isHex(s[j]) {
				j++
			}
			der, err := hex.DecodeString(s[i+1 : j])
			if err != nil {
				return nil, errBadDN
			}
			var rv asn1.RawValue
			if rest, err := asn1.Unmarshal(der, &rv); err != nil || len(rest) != 0 {
				return nil, errBadDN
			}
			val = rv.Bytes
			if s, ok := derString(der); ok {
				val = []byte(s)
			}
			hexDER = der
			i = j
		case i < len(s) && s[i] == '"':
			i++
			for {
				if i >= len(s) {
					return nil, errBadDN
				}
				c := s[i]
				if c == '"' && i+1 < len(s) && s[i+1] == '"' {
					// .NET doubles quotes inside quoted values.
					val = append(val, '"')
					i += 2
					continue
				}
				if c == '"' {
					i++
					break
				}
				if c == '\\' {
					b, n, err := unescapeAt(s, i)
					if err != nil {
						return nil, err
					}
					val = append(val, b)
					i += n
					continue
				}
				val = append(val, c)
				i++
			}
		default:
			keep := 0 // length of val up to the last escaped or non-space byte
			for i < len(s) && s[i] != ',' && s[i] != ';' && s[i] != '+' {
				if s[i] == '\\' {
					b, n, err := unescapeAt(s, i)
					if err != nil {
						return nil, err
					}
					val = append(val, b)
					keep = len(val)
					i += n
					continue
				}
				val = append(val, s[i])
				if s[i] != ' ' {
					keep = len(val)
				}
				i++
			}
			val = val[:keep]
		}
		cur = append(cur, nameAttr{oid: oid, value: string(val), der: hexDER})
		skipSpaces()
		if i >= len(s) {
			return append(rdns, cur), nil
		}
		switch s[i] {
		case '+':
		case ',', ';':
			rdns = append(rdns, cur)
			cur = nil
		default:
			return nil, errBadDN
		}
		i++
	}
}

// unescapeAt decodes the escape sequence starting with the backslash at s[i]: either "\\"
// followed by a character or by two hex digits. It returns the byte and the sequence length.
func unescapeAt(s string, i int) (byte, int, error) {
	if i+1 >= len(s) {
		return 0, 0, errBadDN
	}
	if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
		b, _ := hex.DecodeString(s[i+1 : i+3])
		return b[0], 3, nil
	}
	return s[i+1], 2, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// attributeOID resolves an attribute type: a known name, "OID.1.2.3" or "1.2.3".
func attributeOID(typ string) (string, error) {
	if oid, ok := attributeOIDs[strings.ToUpper(typ)]; ok {
		return oid, nil
	}
	t := typ
	if len(t) > 4 && strings.EqualFold(t[:4], "OID.") {
		t = t[4:]
	}
	if t == "" {
		return "", errBadDN
	}
	parts := strings.Split(t, ".")
	if len(parts) < 2 {
		return "", errBadDN
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "", errBadDN
		}
	}
	return t, nil
}

// normalizeValue prepares an attribute value for comparison: white space runs collapse to one
// space and case is folded.
func normalizeValue(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

// rawATV is an attribute of an X.509 name with its value kept as DER.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is a relative distinguished name (the SET suffix makes encoding/asn1 read a SET).
type rawRDNSET []rawATV

// derString decodes a DER directory string (PrintableString, UTF8String, IA5String,
// T61String, NumericString, BMPString); ok is false for other types.
func derString(der []byte) (string, bool) {
	var s string
	rest, err := asn1.Unmarshal(der, &s)
	return s, err == nil && len(rest) == 0
}

// issuerNameMatches reports whether the X509IssuerName text names the issuer whose DER encoding
// is rawIssuer. What is compared:
//
//   - the text is parsed as a distinguished name (RFC 4514, RFC 2253 and .NET spellings: ","
//     or ";" between RDNs, "+" inside multi-valued RDNs, spaces around separators, quoted
//     values, backslash escapes of characters and of hex bytes, attribute types as short names
//     such as CN, O, S/ST, E/EMAILADDRESS, SERIALNUMBER, as "OID.2.5.4.97" or "2.5.4.97");
//   - it must have as many RDNs as the issuer, in RFC 4514 order (most specific first) or in
//     the certificate's order, and each RDN must hold the same attributes, in any order;
//   - attributes are equal when their types (OIDs) are equal and their values are: string
//     values after collapsing runs of white space, trimming, and folding case (the
//     caseIgnoreMatch of the usual directory string attributes); a "#hex" value (DER) equals
//     the certificate's value when the DER encodings are identical or both are strings equal
//     as above (crypto/x509 refuses certificates whose names hold non-string values, so
//     those never get here).
func issuerNameMatches(text string, rawIssuer []byte) bool {
	parsed, err := parseDN(text)
	if err != nil {
		return false
	}
	var seq []rawRDNSET
	if rest, err := asn1.Unmarshal(rawIssuer, &seq); err != nil || len(rest) != 0 {
		return false
	}
	if len(parsed) != len(seq) {
		return false
	}
	forward, backward := true, true
	for i := range seq {
		forward = forward && rdnEqual(parsed[i], seq[i])
		backward = backward && rdnEqual(parsed[len(parsed)-1-i], seq[i])
	}
	return forward || backward
}

// rdnEqual compares a parsed RDN with a certificate RDN as multisets of attributes.
func rdnEqual(a []nameAttr, b rawRDNSET) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && attrEqual(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// attrEqual compares one attribute of the text with one of the certificate.
func attrEqual(x nameAttr, y rawATV) bool {
	if x.oid != y.Type.String() {
		return false
	}
	if x.der != nil && bytes.Equal(x.der, y.Value.FullBytes) {
		return true
	}
	s, ok := derString(y.Value.FullBytes)
	return ok && normalizeValue(x.value) == normalizeValue(s)
}

// issuerSerialV2Matches reports whether der, a DER IssuerSerial (RFC 5035) from
// xades:IssuerSerialV2, names cert: a directoryName equal to its issuer and its serial number.
func issuerSerialV2Matches(der []byte, cert *x509.Certificate) bool {
	var is struct {
		Issuer []asn1.RawValue
		Serial *big.Int
		UID    asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &is); err != nil || len(rest) != 0 || is.Serial == nil {
		return false
	}
	if is.Serial.Cmp(cert.SerialNumber) != 0 {
		return false
	}
	for _, gn := range is.Issuer {
		if gn.Class == asn1.ClassContextSpecific && gn.Tag == 4 && gn.IsCompound && bytes.Equal(gn.Bytes, cert.RawIssuer) {
			return true
		}
	}
	return false
}
