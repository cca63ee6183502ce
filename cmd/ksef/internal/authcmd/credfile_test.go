package authcmd

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
)

// TestLoginExplainsCredentialFiles: a --cert or --key file that is not
// what the flag takes is named with what it looks like and the fix, before
// any request is made.
func TestLoginExplainsCredentialFiles(t *testing.T) {
	sim, base := simtest.Start(t)
	nip, certFile, keyFile := clitest.WriteIdentity(t, sim)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		return clitest.WriteTempDoc(t, dir, name, data)
	}
	certData, keyData := clitest.MustRead(t, certFile), clitest.MustRead(t, keyFile)
	block, _ := pem.Decode(certData)
	creds, err := credentials.NewSealNIP(nip, nil)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := creds.EncodePKCS12("pw")
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := creds.EncodePEM("")
	if err != nil {
		t.Fatal(err)
	}
	invoice := write("invoice.xml", clitest.BuiltTestInvoice(t))
	empty := write("empty.pem", nil)
	der := write("cert.der", block.Bytes)
	p12File := write("seal.p12", p12)
	both := write("both.pem", append(append([]byte{}, certData...), keyData...))
	other := write("other-key.pem", otherKey)
	huge := write("huge.pem", make([]byte, 2<<20))

	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--cert", invoice, "--key", keyFile}, []string{"--cert " + invoice + " is not a certificate: it is XML (an invoice)"}},
		{[]string{"--cert", empty, "--key", keyFile}, []string{"is not a certificate: it is an empty file"}},
		{[]string{"--cert", certFile}, []string{"no private key in cert.pem; pass --key FILE (PEM) or use --p12 FILE"}},
		{[]string{"--cert", der}, []string{"no private key in cert.der; pass --key FILE (PEM) or use --p12 FILE"}},
		{[]string{"--cert", keyFile, "--key", certFile}, []string{"--cert " + keyFile + " holds no certificate (PEM blocks: PRIVATE KEY", "did you swap --cert and --key?"}},
		{[]string{"--cert", p12File, "--key", keyFile}, []string{"looks like a PKCS#12 file", "--p12 " + p12File}},
		{[]string{"--cert", certFile, "--key", invoice}, []string{"--key " + invoice + " is not a private key: it is XML"}},
		{[]string{"--cert", both, "--key", keyFile}, []string{"both --cert", "hold a private key"}},
		{[]string{"--cert", certFile, "--key", other}, []string{"the private key in " + other + " does not belong to the certificate in " + certFile}},
		{[]string{"--p12", certFile}, []string{"--p12 " + certFile + " is a certificate in PEM or DER, not a PKCS#12 file", "--cert " + certFile}},
		{[]string{"--p12", invoice}, []string{"--p12 " + invoice + " is not a PKCS#12 file: it is XML"}},
		{[]string{"--cert", huge, "--key", keyFile}, []string{"--cert " + huge + " is larger than 1 MB"}},
	} {
		_, _, err := c.Run(append([]string{"auth", "login", "--base-url", base, "--nip", nip}, tc.args...)...)
		for _, want := range tc.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("login %s: %v; want %q", strings.Join(tc.args, " "), err, want)
			}
		}
	}
	// What works: a DER certificate with a PEM key, a PEM file with both.
	c.MustRun("auth", "login", "--base-url", base, "--nip", nip, "--cert", der, "--key", keyFile)
	c.MustRun("auth", "login", "--base-url", base, "--nip", nip, "--cert", both)
	if _, err := os.Stat(filepath.Join(c.Dir, "profiles.json")); err != nil {
		t.Fatal(err)
	}
}
