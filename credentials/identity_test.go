package credentials

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"regexp"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
)

// certWithSubject creates a certificate whose subject is exactly names
// (values are Go strings, encoded as Go chooses).
func certWithSubject(t *testing.T, names ...pkix.AttributeTypeAndValue) *x509.Certificate {
	t.Helper()
	key, err := NewKey(ECP256)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{ExtraNames: names},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(oid asn1.ObjectIdentifier, v string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

func TestIdentityRules(t *testing.T) {
	gn, sn := at(OIDGivenName, "Jan"), at(OIDSurname, "Kowalski")
	cn, c := at(OIDCommonName, "X"), at(OIDCountryName, "PL")
	o := at(OIDOrganizationName, "Firma")
	serial := func(v string) pkix.AttributeTypeAndValue { return at(OIDSerialNumber, v) }
	orgID := func(v string) pkix.AttributeTypeAndValue { return at(OIDOrganizationIdentifier, v) }
	fp := SubjectIdentity{Kind: ident.TypeFingerprint}
	nip := func(v string) SubjectIdentity { return SubjectIdentity{Kind: ident.TypeNip, Value: v} }
	seal := func(v string) SubjectIdentity { return SubjectIdentity{Kind: ident.TypeNip, Value: v, Seal: true} }
	pesel := func(v string) SubjectIdentity { return SubjectIdentity{Kind: ident.TypePesel, Value: v} }

	cases := []struct {
		name  string
		names []pkix.AttributeTypeAndValue
		want  SubjectIdentity
	}{
		{"person TINPL", []pkix.AttributeTypeAndValue{c, gn, sn, serial("TINPL-5265877635"), cn}, nip("5265877635")},
		{"person PNOPL", []pkix.AttributeTypeAndValue{c, gn, sn, serial("PNOPL-02070803628"), cn}, pesel("02070803628")},
		{"PESEL prefix", []pkix.AttributeTypeAndValue{gn, serial("PESEL: 02070803628")}, pesel("02070803628")},
		{"NIP prefix", []pkix.AttributeTypeAndValue{sn, serial("NIP:5265877635")}, nip("5265877635")},
		{"text between", []pkix.AttributeTypeAndValue{gn, serial("TINPL-PL-5265877635")}, nip("5265877635")},
		{"first 10 of 12 digits", []pkix.AttributeTypeAndValue{gn, serial("TINPL-526587763512")}, nip("5265877635")},
		{"PESEL has priority", []pkix.AttributeTypeAndValue{gn, serial("TINPL-5265877635"), serial("PNOPL-02070803628")}, pesel("02070803628")},
		{"PNOPL too short then NIP", []pkix.AttributeTypeAndValue{gn, serial("PNOPL-NIP-5265877635")}, nip("5265877635")},
		{"too few digits", []pkix.AttributeTypeAndValue{gn, sn, serial("TINPL-526587763")}, fp},
		{"lowercase prefix", []pkix.AttributeTypeAndValue{gn, sn, serial("tinpl-5265877635")}, fp},
		{"foreign TIN", []pkix.AttributeTypeAndValue{gn, sn, serial("TINDE-12345678901")}, fp},
		{"IDCPL document", []pkix.AttributeTypeAndValue{gn, sn, serial("IDCPL-ABC123456")}, fp},
		{"person without names uses serial", []pkix.AttributeTypeAndValue{c, serial("TINPL-5265877635"), cn}, nip("5265877635")},
		{"seal", []pkix.AttributeTypeAndValue{c, o, orgID("VATPL-7762811692"), cn}, seal("7762811692")},
		{"seal without O", []pkix.AttributeTypeAndValue{orgID("VATPL-7762811692")}, seal("7762811692")},
		{"seal ignores serial", []pkix.AttributeTypeAndValue{o, orgID("VATPL-7762811692"), serial("TINPL-5265877635")}, seal("7762811692")},
		{"seal non-PL identifier", []pkix.AttributeTypeAndValue{o, orgID("VATDE-123456789"), serial("TINPL-5265877635")}, fp},
		{"seal NTR identifier", []pkix.AttributeTypeAndValue{o, orgID("NTRPL-0000012345")}, fp},
		{"person with organizationIdentifier", []pkix.AttributeTypeAndValue{gn, sn, orgID("VATPL-7762811692"), serial("PNOPL-02070803628")}, pesel("02070803628")},
		{"person orgId only", []pkix.AttributeTypeAndValue{gn, sn, orgID("VATPL-7762811692")}, fp},
		{"nothing", []pkix.AttributeTypeAndValue{c, cn}, fp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := certWithSubject(t, tc.names...)
			want := tc.want
			if want.Kind == ident.TypeFingerprint {
				want.Value = Fingerprint(cert)
			}
			if got := Identity(cert); got != want {
				t.Fatalf("Identity = %+v, want %+v", got, want)
			}
		})
	}
}

// TestIsSeal checks the seal rule, including seals that Identity can only
// identify by fingerprint.
func TestIsSeal(t *testing.T) {
	gn, sn := at(OIDGivenName, "Jan"), at(OIDSurname, "Kowalski")
	o := at(OIDOrganizationName, "Firma")
	orgID := func(v string) pkix.AttributeTypeAndValue { return at(OIDOrganizationIdentifier, v) }
	cases := []struct {
		name  string
		names []pkix.AttributeTypeAndValue
		want  bool
	}{
		{"Polish seal", []pkix.AttributeTypeAndValue{o, orgID("VATPL-7762811692")}, true},
		{"foreign seal", []pkix.AttributeTypeAndValue{o, orgID("VATDE-123456789"), at(OIDSerialNumber, "TINPL-5265877635")}, true},
		{"NTR seal", []pkix.AttributeTypeAndValue{orgID("NTRPL-0000012345")}, true},
		{"person with organizationIdentifier", []pkix.AttributeTypeAndValue{gn, sn, orgID("VATPL-7762811692")}, false},
		{"surname only", []pkix.AttributeTypeAndValue{orgID("VATPL-7762811692"), sn}, false},
		{"givenName only", []pkix.AttributeTypeAndValue{gn, orgID("VATPL-7762811692")}, false},
		{"no organizationIdentifier", []pkix.AttributeTypeAndValue{o, at(OIDCommonName, "Firma")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert := certWithSubject(t, tc.names...)
			if got := IsSeal(cert); got != tc.want {
				t.Fatalf("IsSeal = %v, want %v", got, tc.want)
			}
			// Identity reports a seal only for a certificate IsSeal accepts.
			if id := Identity(cert); id.Seal && !tc.want {
				t.Fatalf("Identity = %+v for a non-seal", id)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	cert := certWithSubject(t, at(OIDCommonName, "x"))
	fp := Fingerprint(cert)
	if !regexp.MustCompile(`^[0-9A-F]{64}$`).MatchString(fp) {
		t.Fatalf("Fingerprint = %q", fp)
	}
	other := certWithSubject(t, at(OIDCommonName, "x"))
	if Fingerprint(other) == fp {
		t.Fatal("different certificates share a fingerprint")
	}
}

// TestIdentityMatchesRegexSemantics cross-checks the NIP/PESEL extraction
// with an independent reading of the documented patterns, over many random
// serialNumber values.
func TestIdentityMatchesRegexSemantics(t *testing.T) {
	alphabet := []string{"TINPL", "PNOPL", "NIP", "PESEL", "-", ":", " ", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "X"}
	key, _ := NewKey(ECP256)
	for i := range 300 {
		var s string
		var b [24]byte
		rand.Read(b[:])
		for _, x := range b[:8+int(b[0])%16] {
			s += alphabet[int(x)%len(alphabet)]
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 1)),
			Subject:      pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{at(OIDGivenName, "A"), at(OIDSerialNumber, s)}},
			NotBefore:    time.Now(), NotAfter: time.Now().Add(time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(der)
		got := Identity(cert)
		// Independent expectation: leftmost match of each pattern, PESEL first.
		want := SubjectIdentity{Kind: ident.TypeFingerprint, Value: Fingerprint(cert)}
		if v, ok := leftmostPrefixThenDigits(s, []string{"PNOPL", "PESEL"}, 11); ok {
			want = SubjectIdentity{Kind: ident.TypePesel, Value: v}
		} else if v, ok := leftmostPrefixThenDigits(s, []string{"TINPL", "NIP"}, 10); ok {
			want = SubjectIdentity{Kind: ident.TypeNip, Value: v}
		}
		if got != want {
			t.Fatalf("serialNumber %q: Identity %+v, want %+v", s, got, want)
		}
	}
}

// leftmostPrefixThenDigits emulates `(P1|P2).*?(\d{n})` without regexp: the
// leftmost position where a prefix occurs, then the first run of n digits
// after it; if none follows, the next occurrence of a prefix is tried.
func leftmostPrefixThenDigits(s string, prefixes []string, n int) (string, bool) {
	for i := 0; i < len(s); i++ {
		for _, p := range prefixes {
			if len(s)-i < len(p) || s[i:i+len(p)] != p {
				continue
			}
			for j := i + len(p); j+n <= len(s); j++ {
				ok := true
				for k := j; k < j+n; k++ {
					if s[k] < '0' || s[k] > '9' {
						ok = false
						break
					}
				}
				if ok {
					return s[j : j+n], true
				}
			}
		}
	}
	return "", false
}
