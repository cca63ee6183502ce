package authcmd

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// credFile is what a --cert or --key file holds, as far as logging in is
// concerned.
type credFile struct {
	kind      string // "pem", "der-cert", "pkcs12" or "other"
	blocks    []string
	certs     int
	keys      int
	derCert   []byte // the certificate of a DER file
	looksLike string // for "other": what the file seems to be
}

// pemKeyTypes are the PEM blocks of private keys credentials.LoadPEM reads.
var pemKeyTypes = []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}

// inspectCredFile says what data, read from a --cert or --key file, holds.
func inspectCredFile(data []byte) credFile {
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		f := credFile{kind: "pem"}
		for rest := data; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			f.blocks = append(f.blocks, b.Type)
			switch {
			case b.Type == "CERTIFICATE":
				f.certs++
			case slices.Contains(pemKeyTypes, b.Type):
				f.keys++
			}
		}
		return f
	}
	if len(data) > 0 && data[0] == 0x30 {
		if _, err := x509.ParseCertificate(data); err == nil {
			return credFile{kind: "der-cert", certs: 1, derCert: data}
		}
		return credFile{kind: "pkcs12"}
	}
	return credFile{kind: "other", looksLike: looksLike(data)}
}

// looksLike names the format of a file that is not a certificate.
func looksLike(data []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(data) == 0:
		return "an empty file"
	case len(t) == 0:
		return "a file of white space only"
	case bytes.HasPrefix(t, []byte("<")):
		if bytes.Contains(t, []byte("<Faktura")) || bytes.Contains(t, []byte(":Faktura")) {
			return "XML (an invoice)"
		}
		return "XML"
	case bytes.HasPrefix(t, []byte("%PDF")):
		return "a PDF document"
	case bytes.HasPrefix(t, []byte("PK\x03\x04")):
		return "a ZIP archive"
	case t[0] == '{' || t[0] == '[':
		return "JSON"
	case bytes.HasPrefix(t, []byte("ssh-")) || bytes.HasPrefix(t, []byte("ecdsa-sha2-")):
		return "an SSH public key"
	}
	return "neither PEM nor DER (PKCS#12)"
}

// checkCredFiles explains what is wrong with the --cert and --key files
// before they are loaded, or returns nil. cert and key are the files'
// contents (key nil without --key).
func checkCredFiles(certPath string, cert []byte, keyPath string, key []byte) error {
	cf := inspectCredFile(cert)
	name := filepath.Base(certPath)
	switch cf.kind {
	case "other":
		return fmt.Errorf("--cert %s is not a certificate: it is %s; --cert takes a certificate in PEM (-----BEGIN CERTIFICATE-----) or DER, --p12 a PKCS#12 file", certPath, cf.looksLike)
	case "pkcs12":
		if key != nil {
			return fmt.Errorf("--cert %s looks like a PKCS#12 file (it is binary, and not a DER certificate): pass it with --p12 %s, without --key", certPath, certPath)
		}
		return nil // LoadFile reads PKCS#12 given with --cert, too
	case "pem":
		if cf.certs == 0 {
			msg := fmt.Sprintf("--cert %s holds no certificate (PEM blocks: %s)", certPath, listOrNone(cf.blocks))
			if cf.keys > 0 {
				msg += "; did you swap --cert and --key?"
			}
			return fmt.Errorf("%s", msg)
		}
	}
	if key == nil {
		if cf.keys == 0 {
			return fmt.Errorf("no private key in %s; pass --key FILE (PEM) or use --p12 FILE", name)
		}
		return nil
	}
	kf := inspectCredFile(key)
	switch {
	case kf.kind == "other":
		return fmt.Errorf("--key %s is not a private key: it is %s; --key takes a private key in PEM (-----BEGIN PRIVATE KEY-----)", keyPath, kf.looksLike)
	case kf.kind != "pem":
		return fmt.Errorf("--key %s is not a PEM private key (it is binary); convert it with `openssl pkey -in %s -out key.pem`, or use --p12 for a PKCS#12 file", keyPath, keyPath)
	case kf.keys == 0:
		msg := fmt.Sprintf("--key %s holds no private key (PEM blocks: %s)", keyPath, listOrNone(kf.blocks))
		if kf.certs > 0 && cf.keys > 0 {
			msg += "; did you swap --cert and --key?"
		}
		return fmt.Errorf("%s", msg)
	case cf.keys > 0:
		return fmt.Errorf("both --cert %s and --key %s hold a private key: give the key once", certPath, keyPath)
	}
	return nil
}

// certPEM returns the --cert file's contents as PEM: a DER certificate is
// converted, so that it may be combined with a PEM --key.
func certPEM(cert []byte) []byte {
	if cf := inspectCredFile(cert); cf.kind == "der-cert" {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cf.derCert})
	}
	return cert
}

func listOrNone(blocks []string) string {
	if len(blocks) == 0 {
		return "none"
	}
	return strings.Join(blocks, ", ")
}
