package sendcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/atomicfile"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/internal/xsd/rt"
	"github.com/ksef2/ksef/ksefsend"
)

// Receipt is the JSON receipt of one `ksef send` run, written to --receipt
// and printed by -o json: every input file with its KSeF number or the
// reason it is not in KSeF.
type Receipt struct {
	// Version is the receipt format version (1).
	Version int `json:"version"`
	// Profile is the profile the invoices were sent with.
	Profile string `json:"profile"`
	// BaseURL is the API the invoices were sent to.
	BaseURL string `json:"baseUrl"`
	// StartedAt and FinishedAt bound the run.
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	// Path is where the receipt was written ("" if it could not be).
	Path string `json:"receipt,omitempty"`
	// Summary counts the invoices by status.
	Summary Summary `json:"summary"`
	// Sessions are the online sessions the run used.
	Sessions []string `json:"sessions"`
	// Invoices are the input files, in the order given.
	Invoices []Entry `json:"invoices"`
}

// Summary counts the invoices of a run by status.
type Summary struct {
	Total      int `json:"total"`
	Registered int `json:"registered"`
	Duplicate  int `json:"duplicate"`
	Rejected   int `json:"rejected"`
	Invalid    int `json:"invalid"`
	Failed     int `json:"failed"`
	// Offline counts the invoices issued offline into the queue
	// (--auto-offline).
	Offline int `json:"offline,omitempty"`
}

// Entry is one input file of a receipt.
type Entry struct {
	// File is the path as given (or found in a directory given).
	File string `json:"file"`
	// Form is the form code the file was sent as, e.g. "FA (3)".
	Form string `json:"form,omitempty"`
	// Status is registered, duplicate, rejected, invalid or failed.
	// registered and duplicate mean the invoice is in KSeF.
	Status string `json:"status"`
	// OK reports whether the invoice is in KSeF (registered or duplicate).
	OK bool `json:"ok"`
	// KSeFNumber is the invoice's KSeF number; for a duplicate, the
	// number KSeF gave the original.
	KSeFNumber string `json:"ksefNumber,omitempty"`
	// SessionReferenceNumber and InvoiceReferenceNumber locate this send at
	// KSeF (for UPOs: ksef upo get --session ... --invoice ...).
	SessionReferenceNumber string `json:"sessionReferenceNumber,omitempty"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber,omitempty"`
	// OriginalSessionReferenceNumber is the session the original of a
	// duplicate was sent in.
	OriginalSessionReferenceNumber string `json:"originalSessionReferenceNumber,omitempty"`
	// StatusCode is KSeF's invoice status code of a rejection or
	// duplicate (e.g. 440, 450).
	StatusCode int `json:"statusCode,omitempty"`
	// Error says why the invoice is not in KSeF.
	Error string `json:"error,omitempty"`
	// OfflineMode and OfflineID are set for an invoice issued offline
	// into the queue (status "offline"): its mode and queue id.
	OfflineMode string `json:"offlineMode,omitempty"`
	OfflineID   string `json:"offlineId,omitempty"`
}

// fromOutcome fills e from the Sender's outcome.
func (e *Entry) fromOutcome(o ksefsend.Outcome) {
	e.Status = o.Kind.String()
	e.OK = o.OK()
	e.KSeFNumber = o.KSeFNumber
	e.SessionReferenceNumber, e.InvoiceReferenceNumber = o.SessionReferenceNumber, o.InvoiceReferenceNumber
	if o.Duplicate != nil {
		e.OriginalSessionReferenceNumber = o.Duplicate.OriginalSessionReferenceNumber
	}
	var se *ksef.StatusError
	if errors.As(o.Err, &se) {
		e.StatusCode = se.Code
	}
	if o.Err != nil && !e.OK {
		e.Error = describe(o.Err)
	}
	if o.Offline != nil {
		e.OfflineMode, e.OfflineID, e.Error = o.Offline.Mode, o.Offline.ID, ""
	}
}

// count recomputes the summary from the entries.
func (r *Receipt) count() {
	r.Summary = Summary{Total: len(r.Invoices)}
	for _, e := range r.Invoices {
		switch e.Status {
		case "registered":
			r.Summary.Registered++
		case "duplicate":
			r.Summary.Duplicate++
		case "rejected":
			r.Summary.Rejected++
		case "invalid":
			r.Summary.Invalid++
		case ksefsend.IssuedOffline.String():
			r.Summary.Offline++
		default:
			r.Summary.Failed++
		}
	}
}

// NotSent is the number of invoices that are not in KSeF.
func (r *Receipt) NotSent() int {
	return r.Summary.Rejected + r.Summary.Invalid + r.Summary.Failed
}

// maxViolations is how many schema violations an entry's error lists.
const maxViolations = 10

// describe turns an error into one line for the receipt: a schema error
// lists its violations (line:column: path: message).
func describe(err error) string {
	var ve *rt.ValidationError
	if errors.As(err, &ve) && len(ve.Violations) > 0 {
		parts := make([]string, 0, maxViolations+1)
		for i, v := range ve.Violations {
			if i == maxViolations {
				parts = append(parts, fmt.Sprintf("and %d more", len(ve.Violations)-maxViolations))
				break
			}
			parts = append(parts, fmt.Sprintf("line %d:%d: %s: %s", v.Line, v.Column, v.Path, v.Message))
		}
		return fmt.Sprintf("schema validation failed (%d violation(s)): %s", len(ve.Violations), strings.Join(parts, "; "))
	}
	return strings.TrimPrefix(err.Error(), "ksef: ")
}

// defaultReceiptPath is the receipt of a run started at t when --receipt
// is not given: ksef-send-YYYYMMDDTHHMMSSZ.json in the current directory,
// with -2, -3, ... added when that name is taken.
func defaultReceiptPath(t time.Time) string {
	base := "ksef-send-" + t.UTC().Format("20060102T150405Z")
	p := base + ".json"
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = fmt.Sprintf("%s-%d.json", base, i)
	}
}

// save writes the receipt as indented JSON to path.
func (r *Receipt) save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}
