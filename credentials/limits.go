package credentials

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
)

// Bounds on the key-derivation work an input file may demand, so that a
// crafted file cannot make a loader spin for minutes. Real files use a few
// thousand (PKCS#12) to a few hundred thousand (PKCS#8) PBKDF2 iterations.
const (
	maxPBKDF2Iterations = 2_000_000
	maxScryptCost       = 1 << 20 // N
	maxScryptBlockPar   = 64      // r*p
)

var errTooCostly = errors.New("credentials: key-derivation parameters exceed the supported limits")

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidPBMAC1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
)

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF    pkix.AlgorithmIdentifier
	Scheme pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       asn1.RawValue
	Iterations int64
	Rest       asn1.RawContent `asn1:"optional"`
}

type scryptParams struct {
	Salt []byte
	N    int64
	R    int64
	P    int64
	Rest asn1.RawContent `asn1:"optional"`
}

// checkKDF checks a PBKDF2 or scrypt AlgorithmIdentifier. Unknown KDFs pass
// (the decoding library rejects them).
func checkKDF(kdf pkix.AlgorithmIdentifier) error {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil
		}
		if p.Iterations > maxPBKDF2Iterations {
			return errTooCostly
		}
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if _, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil {
			return nil
		}
		if p.N > maxScryptCost || p.R < 0 || p.P < 0 || p.R > maxScryptBlockPar || p.P > maxScryptBlockPar ||
			p.R*p.P > maxScryptBlockPar {
			return errTooCostly
		}
	}
	return nil
}

// checkPKCS8Cost rejects encrypted PKCS#8 keys with unbounded KDF cost.
func checkPKCS8Cost(der []byte) error {
	var info encryptedPrivateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return nil // let the library report the malformed structure
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil
	}
	var p pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &p); err != nil {
		return nil
	}
	return checkKDF(p.KDF)
}

type pfxPDU struct {
	Version  int
	AuthSafe asn1.RawValue
	MacData  macData `asn1:"optional"`
}

type macData struct {
	Mac        digestInfo
	MacSalt    []byte
	Iterations int64 `asn1:"optional,default:1"`
}

type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

type pbmac1Params struct {
	KDF pkix.AlgorithmIdentifier
	MAC pkix.AlgorithmIdentifier
}

// checkPKCS12Cost rejects PKCS#12 files whose MAC key derivation has
// unbounded cost. The MAC is checked before anything else is decrypted, so
// the encryption parameters inside are only reached with the right password.
func checkPKCS12Cost(der []byte) error {
	var pfx pfxPDU
	if _, err := asn1.Unmarshal(der, &pfx); err != nil {
		return nil
	}
	if pfx.MacData.Iterations > maxPBKDF2Iterations {
		return errTooCostly
	}
	if pfx.MacData.Mac.Algorithm.Algorithm.Equal(oidPBMAC1) {
		var p pbmac1Params
		if _, err := asn1.Unmarshal(pfx.MacData.Mac.Algorithm.Parameters.FullBytes, &p); err != nil {
			return nil
		}
		return checkKDF(p.KDF)
	}
	return nil
}
