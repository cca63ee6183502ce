package ksefsim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ksef2/ksef/internal/checksum"
)

// Kinds of reference numbers (the second segment of a reference number).
const (
	KindChallenge = "CR" // authentication challenge
	KindAuth      = "AU" // authentication operation
	KindToken     = "EC" // KSeF token
	KindOnline    = "SO" // online session
	KindBatch     = "SB" // batch session
	KindInvoice   = "EE" // invoice in a session
	KindUPO       = "EU" // UPO page
	KindExport    = "EH" // invoice export
)

var refSeq atomic.Uint64

// newRef returns a new reference number of the given kind for time t: the
// date, the kind, 10 hex digits of time and sequence, 10 random hex digits
// and a CRC-8 of everything before it. (Unlike ident.NewReferenceNumber its
// third group orders the numbers of a day by time.) Reference numbers are
// checked with ident.ParseReferenceNumber.
func newRef(t time.Time, kind string) string {
	t = t.UTC()
	seq := refSeq.Add(1)
	// Milliseconds of the day (< 2^27) in the upper bits, a sequence number in
	// the lower 13 bits: unique and roughly time-ordered within a day.
	ms := uint64(t.Sub(t.Truncate(24*time.Hour)) / time.Millisecond)
	mid := (ms<<13 | seq&0x1FFF) & 0xFFFFFFFFFF
	var rnd [5]byte
	_, _ = rand.Read(rnd[:])
	body := fmt.Sprintf("%s-%s-%010X-%s", t.Format("20060102"), kind, mid, strings.ToUpper(hex.EncodeToString(rnd[:])))
	return body + "-" + checksum.CRC8Hex(body)
}

// newUUID returns a random RFC 4122 version 4 UUID (36 characters), used as
// the reference number of error responses.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0F | 0x40
	b[8] = b[8]&0x3F | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceID returns 32 random hex digits.
func newTraceID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
