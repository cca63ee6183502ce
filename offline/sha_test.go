package offline_test

import "crypto/sha256"

func ksefSHA(b []byte) [32]byte { return sha256.Sum256(b) }
