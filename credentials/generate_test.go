package credentials

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ksef2/ksef/ident"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// sharedRSA returns one RSA 2048 key for all tests (generation is slow).
func sharedRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := NewKey(RSA2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k.(*rsa.PrivateKey)
	})
	return rsaKey
}

// rawSubjectTags returns, for each attribute of the DER subject, its OID and
// the universal tag of its value.
func rawSubjectTags(t *testing.T, cert *x509.Certificate) map[string]int {
	t.Helper()
	type atv struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	var rdns []asn1.RawValue // each RDN is a SET OF AttributeTypeAndValue
	if _, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, set := range rdns {
		for rest := set.Bytes; len(rest) > 0; {
			var a atv
			var err error
			if rest, err = asn1.Unmarshal(rest, &a); err != nil {
				t.Fatal(err)
			}
			out[a.Type.String()] = a.Value.Tag
		}
	}
	return out
}

// subjectValues returns the string values of the parsed subject by OID.
func subjectValues(cert *x509.Certificate) map[string][]string {
	out := map[string][]string{}
	for _, n := range cert.Subject.Names {
		s, _ := n.Value.(string)
		out[n.Type.String()] = append(out[n.Type.String()], s)
	}
	return out
}

func TestGeneratedCertificates(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ec, err := NewKey(ECP256)
	if err != nil {
		t.Fatal(err)
	}
	type gen func(*CertOptions) (*Credentials, error)
	cases := []struct {
		name     string
		gen      gen
		opts     CertOptions
		want     map[string]string // OID → value
		absent   []string
		tags     map[string]int
		identity SubjectIdentity
	}{
		{
			name: "person NIP",
			gen:  func(o *CertOptions) (*Credentials, error) { return NewPersonNIP("5265877635", o) },
			opts: CertOptions{GivenName: "Łucja", Surname: "Żółć"},
			want: map[string]string{"2.5.4.5": "TINPL-5265877635", "2.5.4.42": "Łucja", "2.5.4.4": "Żółć",
				"2.5.4.3": "Łucja Żółć", "2.5.4.6": "PL"},
			absent:   []string{"2.5.4.97"},
			tags:     map[string]int{"2.5.4.5": asn1.TagPrintableString, "2.5.4.6": asn1.TagPrintableString, "2.5.4.42": asn1.TagUTF8String, "2.5.4.3": asn1.TagUTF8String},
			identity: SubjectIdentity{Kind: ident.TypeNip, Value: "5265877635"},
		},
		{
			name: "person PESEL",
			gen:  func(o *CertOptions) (*Credentials, error) { return NewPersonPESEL("02070803628", o) },
			want: map[string]string{"2.5.4.5": "PNOPL-02070803628", "2.5.4.42": "Jan", "2.5.4.4": "Testowy",
				"2.5.4.3": "Jan Testowy", "2.5.4.6": "PL"},
			absent:   []string{"2.5.4.97"},
			identity: SubjectIdentity{Kind: ident.TypePesel, Value: "02070803628"},
		},
		{
			name: "seal NIP",
			gen:  func(o *CertOptions) (*Credentials, error) { return NewSealNIP("7762811692", o) },
			opts: CertOptions{Organization: "Zażółć Gęślą Sp. z o.o."},
			want: map[string]string{"2.5.4.97": "VATPL-7762811692", "2.5.4.10": "Zażółć Gęślą Sp. z o.o.",
				"2.5.4.3": "Zażółć Gęślą Sp. z o.o.", "2.5.4.6": "PL"},
			absent:   []string{"2.5.4.42", "2.5.4.4", "2.5.4.5"},
			tags:     map[string]int{"2.5.4.97": asn1.TagUTF8String},
			identity: SubjectIdentity{Kind: ident.TypeNip, Value: "7762811692", Seal: true},
		},
		{
			name:     "fingerprint only",
			gen:      NewFingerprintOnly,
			opts:     CertOptions{GivenName: "Hans", Surname: "Müller", Country: "DE", CommonName: "Hans Müller"},
			want:     map[string]string{"2.5.4.3": "Hans Müller", "2.5.4.6": "DE", "2.5.4.42": "Hans"},
			absent:   []string{"2.5.4.5", "2.5.4.97"},
			identity: SubjectIdentity{Kind: ident.TypeFingerprint},
		},
	}
	for _, c := range cases {
		for _, kt := range []KeyType{RSA2048, ECP256} {
			t.Run(c.name+"/"+string(kt), func(t *testing.T) {
				o := c.opts
				o.Now = now
				o.Validity = 48 * time.Hour
				o.NonRepudiation = kt == ECP256
				if kt == ECP256 {
					o.Signer = ec
				} else {
					o.Signer = sharedRSA(t)
				}
				cr, err := c.gen(&o)
				if err != nil {
					t.Fatal(err)
				}
				if err := cr.Validate(); err != nil {
					t.Fatal(err)
				}
				cert := cr.Certificate
				got := subjectValues(cert)
				for oid, v := range c.want {
					if len(got[oid]) != 1 || got[oid][0] != v {
						t.Errorf("subject %s = %q, want %q", oid, got[oid], v)
					}
				}
				for _, oid := range c.absent {
					if _, ok := got[oid]; ok {
						t.Errorf("subject must not have %s: %q", oid, got[oid])
					}
				}
				tags := rawSubjectTags(t, cert)
				for oid, tag := range c.tags {
					if tags[oid] != tag {
						t.Errorf("%s encoded with tag %d, want %d", oid, tags[oid], tag)
					}
				}
				if !strings.Contains(cert.Subject.String(), c.want["2.5.4.3"]) || cert.Subject.CommonName != c.want["2.5.4.3"] {
					t.Errorf("CommonName = %q", cert.Subject.CommonName)
				}
				if cert.Issuer.String() != cert.Subject.String() {
					t.Error("not self-signed")
				}
				if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
					t.Errorf("self-signature: %v", err)
				}
				if !cert.NotBefore.Equal(now.Add(-time.Hour)) || !cert.NotAfter.Equal(now.Add(47*time.Hour)) {
					t.Errorf("validity %v – %v", cert.NotBefore, cert.NotAfter)
				}
				wantUsage := x509.KeyUsageDigitalSignature
				if o.NonRepudiation {
					wantUsage |= x509.KeyUsageContentCommitment
				}
				if cert.KeyUsage != wantUsage {
					t.Errorf("KeyUsage = %v, want %v", cert.KeyUsage, wantUsage)
				}
				if cert.IsCA {
					t.Error("test certificate must not be a CA")
				}
				if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() < 64 {
					t.Errorf("serial %v not a large positive random number", cert.SerialNumber)
				}
				id := Identity(cert)
				want := c.identity
				if want.Kind == ident.TypeFingerprint {
					want.Value = Fingerprint(cert)
				}
				if id != want {
					t.Errorf("Identity = %+v, want %+v", id, want)
				}
				if cr.Identity() != id {
					t.Error("Credentials.Identity differs")
				}
			})
		}
	}
}

func TestGenerateDefaults(t *testing.T) {
	before := time.Now()
	cr, err := NewPersonNIP("5265877635", &CertOptions{KeyType: ECP256})
	if err != nil {
		t.Fatal(err)
	}
	cert := cr.Certificate
	if _, ok := cr.Signer.(*ecdsa.PrivateKey); !ok || cr.Signer.Public().(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Fatalf("signer %T, want ECDSA P-256", cr.Signer)
	}
	if d := cert.NotAfter.Sub(cert.NotBefore); d != DefaultValidity {
		t.Errorf("validity %v, want %v", d, DefaultValidity)
	}
	if nb := cert.NotBefore; nb.After(before.Add(-time.Hour+time.Second)) || nb.Before(before.Add(-time.Hour-time.Minute)) {
		t.Errorf("NotBefore %v, want about now-1h", nb)
	}
	if cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage %v", cert.KeyUsage)
	}
	// Default key type is RSA 2048.
	cr2, err := NewSealNIP("5265877635", nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := cr2.Signer.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Fatalf("default signer %T", cr2.Signer)
	}
	if cr2.Certificate.SerialNumber.Cmp(cert.SerialNumber) == 0 {
		t.Error("serial numbers repeat")
	}
	if got := cr2.Certificate.Subject.Organization; len(got) != 1 || got[0] == "" {
		t.Errorf("seal Organization %q", got)
	}
}

func TestGenerateRejects(t *testing.T) {
	ec, _ := NewKey(ECP256)
	o := &CertOptions{Signer: ec}
	for _, nip := range []string{"", "123456789", "12345678901", "52658776a5", "５265877635"} {
		if _, err := NewPersonNIP(nip, o); err == nil {
			t.Errorf("NewPersonNIP(%q) accepted", nip)
		}
		if _, err := NewSealNIP(nip, o); err == nil {
			t.Errorf("NewSealNIP(%q) accepted", nip)
		}
	}
	for _, pesel := range []string{"", "0207080362", "020708036281", "0207080362x"} {
		if _, err := NewPersonPESEL(pesel, o); err == nil {
			t.Errorf("NewPersonPESEL(%q) accepted", pesel)
		}
	}
	if _, err := NewSealNIP("5265877635", &CertOptions{Signer: ec, GivenName: "Jan"}); err == nil {
		t.Error("seal with givenName accepted")
	}
	if _, err := NewSealNIP("5265877635", &CertOptions{Signer: ec, Surname: "Kowalski"}); err == nil {
		t.Error("seal with surname accepted")
	}
	if _, err := NewPersonNIP("5265877635", &CertOptions{Signer: ec, Country: "POL"}); err == nil {
		t.Error("3-letter country accepted")
	}
	if _, err := NewPersonNIP("5265877635", &CertOptions{Signer: ec, Country: "Ł1"}); err == nil {
		t.Error("non-printable country accepted")
	}
	if _, err := NewFingerprintOnly(&CertOptions{KeyType: "DSA"}); err == nil {
		t.Error("unknown key type accepted")
	}
	if _, err := NewFingerprintOnly(&CertOptions{Signer: ec, Validity: -time.Hour}); err == nil {
		t.Error("negative validity accepted")
	}
}
