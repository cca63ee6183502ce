package credentials

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/testenv"
)

type osl struct {
	t   *testing.T
	bin string
	dir string
}

func newOSL(t *testing.T) *osl {
	t.Helper()
	return &osl{t: t, bin: testenv.RequireTool(t, "openssl"), dir: t.TempDir()}
}

// run executes openssl in the temporary directory and returns stdout.
func (o *osl) run(args ...string) (string, error) {
	o.t.Helper()
	cmd := exec.Command(o.bin, args...)
	cmd.Dir = o.dir
	out, err := testenv.Output(cmd)
	return string(out), err
}

func (o *osl) must(args ...string) string {
	o.t.Helper()
	out, err := o.run(args...)
	if err != nil {
		o.t.Fatalf("openssl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (o *osl) write(name string, b []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

func (o *osl) read(name string) []byte {
	o.t.Helper()
	b, err := os.ReadFile(filepath.Join(o.dir, name))
	if err != nil {
		o.t.Fatal(err)
	}
	return b
}

// TestOpenSSLReadsOurCertificates: openssl sees the identity attributes with
// the intended ASN.1 string types, the key usage and our fingerprint.
func TestOpenSSLReadsOurCertificates(t *testing.T) {
	testenv.SkipShort(t, "openssl reading every kind of certificate we issue")
	o := newOSL(t)
	ec := mustEC(t)
	cases := []struct {
		cr      *Credentials
		subject []string // substrings of `-nameopt RFC2253,-esc_msb` output
		types   []string // substrings of asn1parse output
		usage   string
	}{
		{
			mustGen(t, func() (*Credentials, error) {
				return NewPersonNIP("5265877635", &CertOptions{Signer: sharedRSA(t), GivenName: "Łucja", Surname: "Żółć"})
			}),
			[]string{"serialNumber=TINPL-5265877635", "GN=Łucja", "SN=Żółć", "CN=Łucja Żółć", "C=PL"},
			[]string{"PRINTABLESTRING   :TINPL-5265877635", "PRINTABLESTRING   :PL"},
			"Digital Signature",
		},
		{
			mustGen(t, func() (*Credentials, error) {
				return NewPersonPESEL("02070803628", &CertOptions{Signer: ec, NonRepudiation: true})
			}),
			[]string{"serialNumber=PNOPL-02070803628", "GN=Jan", "SN=Testowy", "CN=Jan Testowy"},
			[]string{"PRINTABLESTRING   :PNOPL-02070803628", "UTF8STRING        :Jan"},
			"Digital Signature, Non Repudiation",
		},
		{
			mustGen(t, func() (*Credentials, error) {
				return NewSealNIP("7762811692", &CertOptions{Signer: ec, Organization: "Fermy Drobiu Sp. z o.o."})
			}),
			[]string{"organizationIdentifier=VATPL-7762811692", "O=Fermy Drobiu Sp. z o.o.", "CN=Fermy Drobiu Sp. z o.o.", "C=PL"},
			[]string{"UTF8STRING        :VATPL-7762811692"},
			"Digital Signature",
		},
		{
			mustGen(t, func() (*Credentials, error) { return NewFingerprintOnly(&CertOptions{Signer: ec, Country: "DE"}) }),
			[]string{"CN=KSeF test certificate", "C=DE"},
			nil,
			"Digital Signature",
		},
	}
	for i, c := range cases {
		certPEM, _, err := c.cr.EncodePEM("")
		if err != nil {
			t.Fatal(err)
		}
		f := o.write("c.pem", certPEM)
		subj := o.must("x509", "-in", f, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb")
		for _, want := range c.subject {
			if !strings.Contains(subj, want) {
				t.Errorf("case %d: openssl subject %q lacks %q", i, subj, want)
			}
		}
		id := Identity(c.cr.Certificate)
		if id.Seal != strings.Contains(subj, "organizationIdentifier=") {
			t.Errorf("case %d: seal %v but subject %q", i, id.Seal, subj)
		}
		if id.Seal && (strings.Contains(subj, "GN=") || strings.Contains(subj, "SN=")) {
			t.Errorf("case %d: seal with givenName/surname: %q", i, subj)
		}
		if id.Kind == ident.TypeFingerprint && strings.Contains(subj, "serialNumber=") {
			t.Errorf("case %d: fingerprint-only certificate has serialNumber", i)
		}
		parsed := o.must("asn1parse", "-in", f)
		for _, want := range c.types {
			if !strings.Contains(parsed, want) {
				t.Errorf("case %d: asn1parse lacks %q", i, want)
			}
		}
		ku := o.must("x509", "-in", f, "-noout", "-ext", "keyUsage")
		if !strings.Contains(ku, c.usage) || (!strings.Contains(c.usage, "Non") && strings.Contains(ku, "Non Repudiation")) {
			t.Errorf("case %d: keyUsage %q, want %q", i, ku, c.usage)
		}
		fp := o.must("x509", "-in", f, "-noout", "-fingerprint", "-sha256")
		fp = strings.ReplaceAll(strings.TrimSpace(fp[strings.Index(fp, "=")+1:]), ":", "")
		if fp != c.cr.Fingerprint() {
			t.Errorf("case %d: openssl fingerprint %s, ours %s", i, fp, c.cr.Fingerprint())
		}
		// The self-signature verifies.
		o.must("verify", "-CAfile", f, f)
	}
}

func publicDER(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// pemPublicKeyDER returns the DER of the first "PUBLIC KEY" block.
func pemPublicKeyDER(t *testing.T, s string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "PUBLIC KEY" {
		t.Fatalf("no public key in %q", s)
	}
	return b.Bytes
}

// TestOpenSSLReadsOurPKCS12AndPEM: openssl opens what we save.
func TestOpenSSLReadsOurPKCS12AndPEM(t *testing.T) {
	testenv.SkipShort(t, "openssl reading our PKCS#12 and PEM files")
	o := newOSL(t)
	for name, cr := range map[string]*Credentials{
		"ec chain": chainCreds(t),
		"rsa":      mustGen(t, func() (*Credentials, error) { return NewSealNIP("7762811692", &CertOptions{Signer: sharedRSA(t)}) }),
	} {
		p12, err := cr.EncodePKCS12("pw-ąę")
		if err != nil {
			t.Fatal(err)
		}
		f := o.write("our.p12", p12)
		certs := o.must("pkcs12", "-in", f, "-passin", "pass:pw-ąę", "-nokeys")
		var got []*x509.Certificate
		for rest := []byte(certs); ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c)
		}
		if len(got) != 1+len(cr.Chain) {
			t.Fatalf("%s: openssl found %d certificates, want %d", name, len(got), 1+len(cr.Chain))
		}
		found := false
		for _, c := range got {
			found = found || c.Equal(cr.Certificate)
		}
		if !found {
			t.Fatalf("%s: leaf certificate not in openssl output", name)
		}
		key := o.must("pkcs12", "-in", f, "-passin", "pass:pw-ąę", "-nocerts", "-nodes")
		s, err := ParsePrivateKeyPEM([]byte(key), "")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(publicDER(t, s.Public()), publicDER(t, cr.Signer.Public())) {
			t.Fatalf("%s: openssl extracted a different key", name)
		}
		if _, err := o.run("pkcs12", "-in", f, "-passin", "pass:wrong", "-nokeys"); err == nil {
			t.Fatalf("%s: openssl accepted a wrong password", name)
		}

		// Encrypted PEM key.
		_, keyPEM, err := cr.EncodePEM("pem-pw")
		if err != nil {
			t.Fatal(err)
		}
		kf := o.write("key.pem", keyPEM)
		pub := o.must("pkey", "-in", kf, "-passin", "pass:pem-pw", "-pubout")
		if !bytes.Equal(pemPublicKeyDER(t, pub), publicDER(t, cr.Signer.Public())) {
			t.Fatalf("%s: openssl decrypted a different key", name)
		}
		if _, err := o.run("pkey", "-in", kf, "-passin", "pass:wrong", "-pubout"); err == nil {
			t.Fatalf("%s: openssl accepted a wrong PEM password", name)
		}
	}
}

// TestOpenSSLGeneratedLoads: keys and certificates made by openssl load with
// our functions, in every supported form.
func TestOpenSSLGeneratedLoads(t *testing.T) {
	testenv.SkipShort(t, "loading keys and certificates generated by openssl")
	o := newOSL(t)
	// RSA person certificate with PKCS#8 key.
	o.must("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rk.pem", "-out", "rc.pem", "-days", "2",
		"-subj", "/C=PL/GN=Jan/SN=Kowalski/serialNumber=TINPL-5265877635/CN=Jan Kowalski")
	// EC seal certificate from a genpkey key.
	o.must("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ek.pem")
	o.must("req", "-x509", "-key", "ek.pem", "-out", "ec.pem", "-days", "2", "-utf8",
		"-subj", "/C=PL/O=Fermy Drobiu/organizationIdentifier=VATPL-7762811692/CN=Fermy Drobiu")
	// Other key forms.
	o.must("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "ek.pem", "-passout", "pass:s3cret", "-out", "ek-enc.pem")
	o.must("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "rk.pem", "-passout", "pass:s3cret", "-out", "rk-enc.pem")
	o.must("ec", "-in", "ek.pem", "-out", "ek-sec1.pem")
	o.must("rsa", "-in", "rk.pem", "-traditional", "-out", "rk-pkcs1.pem")
	for f, want := range map[string]string{"ek-enc.pem": "ENCRYPTED PRIVATE KEY", "rk-enc.pem": "ENCRYPTED PRIVATE KEY",
		"ek-sec1.pem": "EC PRIVATE KEY", "rk-pkcs1.pem": "RSA PRIVATE KEY", "ek.pem": "PRIVATE KEY", "rk.pem": "PRIVATE KEY"} {
		if b, _ := pem.Decode(o.read(f)); b == nil || b.Type != want {
			t.Fatalf("%s is not %s", f, want)
		}
	}
	path := func(n string) string { return filepath.Join(o.dir, n) }
	rsaPerson := SubjectIdentity{Kind: ident.TypeNip, Value: "5265877635"}
	ecSeal := SubjectIdentity{Kind: ident.TypeNip, Value: "7762811692", Seal: true}
	for _, c := range []struct{ cert, key, pw string }{
		{"rc.pem", "rk.pem", ""}, {"rc.pem", "rk-pkcs1.pem", ""}, {"rc.pem", "rk-enc.pem", "s3cret"},
		{"ec.pem", "ek.pem", ""}, {"ec.pem", "ek-sec1.pem", ""}, {"ec.pem", "ek-enc.pem", "s3cret"},
	} {
		cr, err := LoadPEMFiles(path(c.cert), path(c.key), c.pw)
		if err != nil {
			t.Fatalf("%s + %s: %v", c.cert, c.key, err)
		}
		want := rsaPerson
		if c.cert == "ec.pem" {
			want = ecSeal
		}
		if got := cr.Identity(); got != want {
			t.Errorf("%s: Identity %+v, want %+v", c.cert, got, want)
		}
		if c.pw != "" {
			if _, err := LoadPEMFiles(path(c.cert), path(c.key), "wrong"); !errors.Is(err, ErrPassword) {
				t.Errorf("%s wrong password: %v", c.key, err)
			}
		}
	}
	// Our fingerprint equals openssl's for an openssl certificate too.
	cr, _ := LoadPEMFiles(path("ec.pem"), path("ek.pem"), "")
	fp := o.must("x509", "-in", "ec.pem", "-noout", "-fingerprint", "-sha256")
	if got := strings.ReplaceAll(strings.TrimSpace(fp[strings.Index(fp, "=")+1:]), ":", ""); got != cr.Fingerprint() {
		t.Errorf("fingerprint %s vs openssl %s", cr.Fingerprint(), got)
	}

	// PKCS#12: modern default, legacy 3DES/SHA-1, and with a CA chain.
	o.must("pkcs12", "-export", "-inkey", "rk.pem", "-in", "rc.pem", "-passout", "pass:p12pw", "-out", "modern.p12")
	o.must("pkcs12", "-export", "-inkey", "ek.pem", "-in", "ec.pem", "-passout", "pass:p12pw", "-out", "legacy.p12",
		"-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1")
	o.must("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "cak.pem",
		"-out", "ca.pem", "-days", "2", "-subj", "/CN=Test CA", "-addext", "basicConstraints=critical,CA:TRUE")
	o.must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "lk.pem",
		"-out", "leaf.csr", "-subj", "/C=PL/GN=Anna/SN=Nowak/serialNumber=PNOPL-02070803628/CN=Anna Nowak")
	o.must("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "cak.pem", "-set_serial", "42", "-days", "1", "-out", "leaf.pem")
	o.must("pkcs12", "-export", "-inkey", "lk.pem", "-in", "leaf.pem", "-certfile", "ca.pem", "-passout", "pass:p12pw", "-out", "chain.p12")
	o.must("pkcs12", "-export", "-inkey", "ek.pem", "-in", "ec.pem", "-passout", "pass:", "-out", "nopw.p12")
	if cr, err := LoadPKCS12File(path("nopw.p12"), ""); err != nil || cr.Identity() != ecSeal {
		t.Errorf("PKCS#12 with empty password: %v", err)
	}
	for _, c := range []struct {
		file  string
		want  SubjectIdentity
		chain int
	}{
		{"modern.p12", rsaPerson, 0},
		{"legacy.p12", ecSeal, 0},
		{"chain.p12", SubjectIdentity{Kind: ident.TypePesel, Value: "02070803628"}, 1},
	} {
		cr, err := LoadPKCS12File(path(c.file), "p12pw")
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got := cr.Identity(); got != c.want {
			t.Errorf("%s: Identity %+v, want %+v", c.file, got, c.want)
		}
		if len(cr.Chain) != c.chain {
			t.Errorf("%s: chain length %d, want %d", c.file, len(cr.Chain), c.chain)
		}
		if c.chain == 1 {
			roots := x509.NewCertPool()
			roots.AddCert(cr.Chain[0])
			if _, err := cr.Certificate.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
				t.Errorf("%s: leaf does not chain to the CA: %v", c.file, err)
			}
		}
		if _, err := LoadPKCS12File(path(c.file), "wrong"); !errors.Is(err, ErrPassword) {
			t.Errorf("%s wrong password: %v", c.file, err)
		}
		if cr2, err := LoadFile(path(c.file), "", "p12pw"); err != nil || !cr2.Certificate.Equal(cr.Certificate) {
			t.Errorf("%s via LoadFile: %v", c.file, err)
		}
	}
}
