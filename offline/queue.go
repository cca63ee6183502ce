package offline

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ksef2/ksef"
)

// State is where a queued invoice stands.
type State string

// The states of a queued invoice.
const (
	// Pending: issued offline, not in KSeF yet (also after a failed send).
	Pending State = "pending"
	// Registered: in KSeF with a KSeF number (also when KSeF answered
	// that it was a duplicate of an invoice already there: the number is
	// the original's).
	Registered State = "registered"
	// Rejected: KSeF rejected it; a technical correction
	// ([Queue.Correct]) replaces it.
	Rejected State = "rejected"
	// NotRequired: issued in (or overtaken by) a total failure; it need
	// not be sent.
	NotRequired State = "not-required"
)

// Entry is one invoice in the queue, as kept in its JSON file.
type Entry struct {
	// ID names the entry: derived from the invoice's SHA-256, so the same
	// file is queued once.
	ID string `json:"id"`
	// Name is the name the invoice was queued under (a file name, say).
	Name string `json:"name,omitempty"`
	// Form is the invoice's form, e.g. "FA (3)".
	Form ksef.Form `json:"form"`
	// Mode is the offline mode it was issued in.
	Mode Mode `json:"mode"`
	// Issued is the issue date (P_1).
	Issued time.Time `json:"issued"`
	// Hash is the Base64 SHA-256 of the invoice file.
	Hash string `json:"hash"`
	// Size is the invoice file's size in bytes.
	Size int64 `json:"size"`
	// QueuedAt is when the invoice was queued.
	QueuedAt time.Time `json:"queuedAt"`
	// Outages are the outages known when the deadline was last computed.
	Outages []Outage `json:"outages,omitempty"`
	// Deadline is the sending deadline.
	Deadline Deadline `json:"deadline"`
	// State is where the invoice stands.
	State State `json:"state"`
	// Attempts counts the sends tried.
	Attempts int `json:"attempts,omitempty"`
	// KSeFNumber is set once registered.
	KSeFNumber string `json:"ksefNumber,omitempty"`
	// InvoicingMode is the mode KSeF registered it in ("Offline").
	InvoicingMode ksef.InvoicingMode `json:"invoicingMode,omitempty"`
	// Duplicate is true when KSeF answered that it was already there.
	Duplicate bool `json:"duplicate,omitempty"`
	// SessionReferenceNumber and InvoiceReferenceNumber locate the last
	// send at KSeF.
	SessionReferenceNumber string `json:"sessionReferenceNumber,omitempty"`
	InvoiceReferenceNumber string `json:"invoiceReferenceNumber,omitempty"`
	// StatusCode is KSeF's status code of a rejection.
	StatusCode int `json:"statusCode,omitempty"`
	// Error is the last error (rejection or failed send).
	Error string `json:"error,omitempty"`
	// Corrects is the ID of the rejected entry this one technically
	// corrects; HashOfCorrectedInvoice is that entry's Hash.
	Corrects               string `json:"corrects,omitempty"`
	HashOfCorrectedInvoice string `json:"hashOfCorrectedInvoice,omitempty"`
	// CorrectedBy is the ID of the technical correction of this entry.
	CorrectedBy string `json:"correctedBy,omitempty"`
}

// Queue keeps invoices issued offline in a directory until they are in
// KSeF: for each, the invoice file as issued (<id>.xml, never changed: its
// hash is on the printed KOD I) and a JSON record (<id>.json, replaced
// atomically on every change). An invoice is durable once Add returns.
// Registered entries stay in the directory as a record; [Queue.Remove]
// deletes one.
//
// Memory: listing and sending hold the small JSON records of the queued
// entries (a few hundred bytes each, sorted by deadline) but never more
// than one invoice file at a time.
//
// A Queue is safe for concurrent use; [Queue.Send] runs in one process
// at a time per directory (a lock file).
type Queue struct {
	dir string
	mu  sync.Mutex
	now func() time.Time
}

// OpenQueue opens (creating it when missing, mode 0700) the queue
// directory dir.
func OpenQueue(dir string) (*Queue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("offline: queue: %w", err)
	}
	return &Queue{dir: dir, now: time.Now}, nil
}

// Dir returns the queue's directory.
func (q *Queue) Dir() string { return q.dir }

// AddParams are the inputs of [Queue.Add].
type AddParams struct {
	// Name names the invoice in reports (default: the ID).
	Name string
	// XML is the invoice file exactly as issued (its hash is on KOD I).
	XML []byte
	// Form is the invoice's form (default FA (3)).
	Form ksef.Form
	// Mode is the offline mode it is issued in.
	Mode Mode
	// Issued is the issue date; zero reads P_1 from XML.
	Issued time.Time
	// Outages are the announced outages known now (e.g. from
	// [OutagesFromMessages]); modes offline and awaryjny need theirs.
	Outages []Outage
}

// ErrInvalidEntry marks a request the queue cannot take.
var ErrInvalidEntry = errors.New("offline: queue")

// Add queues an invoice issued offline and computes its deadline. Adding
// the same file again returns the entry already queued.
func (q *Queue) Add(p AddParams) (*Entry, error) {
	if len(p.XML) == 0 {
		return nil, fmt.Errorf("%w: empty invoice", ErrInvalidEntry)
	}
	if p.Form == "" {
		p.Form = ksef.FormFA3
	}
	if _, err := p.Form.Code(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(p.XML)
	id := hex.EncodeToString(sum[:10])
	q.mu.Lock()
	defer q.mu.Unlock()
	if e, err := q.read(id); err == nil {
		return e, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	issued := p.Issued
	if issued.IsZero() {
		var err error
		if issued, err = IssueDate(p.XML); err != nil {
			return nil, fmt.Errorf("%w: %v (give the issue date)", ErrInvalidEntry, err)
		}
	}
	e := &Entry{ID: id, Name: p.Name, Form: p.Form, Mode: p.Mode, Issued: Date(issued.Year(), issued.Month(), issued.Day()),
		Hash: base64.StdEncoding.EncodeToString(sum[:]), Size: int64(len(p.XML)), QueuedAt: q.now().UTC(), Outages: p.Outages, State: Pending}
	if e.Name == "" {
		e.Name = id
	}
	d, err := ComputeDeadline(DeadlineParams{Mode: p.Mode, Issued: e.Issued, Outages: p.Outages})
	if errors.Is(err, ErrNoOutage) {
		// Keep the invoice: the deadline follows once the outage is known
		// (Refresh).
		d, err = Deadline{Mode: p.Mode, Pending: true, Reason: "the announcement of the outage is not known yet"}, nil
	}
	if err != nil {
		return nil, err
	}
	e.Deadline = d
	if d.NoObligation {
		e.State = NotRequired
	}
	if err := writeAtomic(filepath.Join(q.dir, id+".xml"), p.XML); err != nil {
		return nil, err
	}
	if err := q.write(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Get returns the entry id.
func (q *Queue) Get(id string) (*Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.read(id)
}

// XML returns the invoice file of the entry id.
func (q *Queue) XML(id string) ([]byte, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%w: bad id %q", ErrInvalidEntry, id)
	}
	return os.ReadFile(filepath.Join(q.dir, id+".xml"))
}

// List returns every entry, earliest deadline first: entries with a due
// day by that day, then those whose deadline waits for an outage to end,
// then the rest (registered, rejected, not required) by queue time.
func (q *Queue) List() ([]Entry, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") || !de.Type().IsRegular() {
			continue
		}
		e, err := q.read(strings.TrimSuffix(name, ".json"))
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	slices.SortStableFunc(out, compareEntries)
	return out, nil
}

func rank(e *Entry) int {
	switch {
	case e.State != Pending:
		return 3
	case e.Deadline.Pending:
		return 2
	}
	return 1
}

func compareEntries(a, b Entry) int {
	if c := rank(&a) - rank(&b); c != 0 {
		return c
	}
	if c := a.Deadline.Due.Compare(b.Deadline.Due); c != 0 {
		return c
	}
	return a.QueuedAt.Compare(b.QueuedAt)
}

// Refresh recomputes the deadlines of the pending entries with the
// outages known now (e.g. a failure announced since they were queued, or
// the end of the one they wait for), added to those each entry knew (an
// outage with the same ID replaces the one known). A total failure makes
// them NotRequired.
func (q *Queue) Refresh(outages []Outage) error {
	ents, err := q.List()
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range ents {
		if e.State != Pending {
			continue
		}
		merged := mergeOutages(e.Outages, outages)
		d, err := ComputeDeadline(DeadlineParams{Mode: e.Mode, Issued: e.Issued, Outages: merged})
		if err != nil {
			continue // keep the old one: no outage of its own known yet
		}
		if e.Corrects != "" {
			continue // a technical correction keeps its original's deadline
		}
		e.Outages, e.Deadline = merged, d
		if d.NoObligation {
			e.State = NotRequired
		}
		if err := q.write(&e); err != nil {
			return err
		}
	}
	return nil
}

// mergeOutages returns old with the outages of news added; an outage of
// news with the ID (or the kind and start) of an old one replaces it.
func mergeOutages(old, news []Outage) []Outage {
	out := slices.Clone(old)
	for _, n := range news {
		i := slices.IndexFunc(out, func(o Outage) bool {
			if n.ID != "" || o.ID != "" {
				return n.ID == o.ID
			}
			return n.Kind == o.Kind && n.Start.Equal(o.Start)
		})
		if i >= 0 {
			out[i] = n
		} else {
			out = append(out, n)
		}
	}
	return out
}

// Remove deletes the entry id (its record, then its file).
func (q *Queue) Remove(id string) error {
	if !validID(id) {
		return fmt.Errorf("%w: bad id %q", ErrInvalidEntry, id)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := os.Remove(filepath.Join(q.dir, id+".json")); err != nil {
		return err
	}
	return os.Remove(filepath.Join(q.dir, id+".xml"))
}

// Correct queues fixedXML as the technical correction of the rejected
// entry id (offline/korekta-techniczna.md): it is sent with offlineMode:
// true and hashOfCorrectedInvoice = the rejected file's hash, in an online
// session, and keeps the original's mode, issue date and deadline. The two
// entries name each other (Corrects, CorrectedBy).
func (q *Queue) Correct(id string, fixedXML []byte) (*Entry, error) {
	q.mu.Lock()
	orig, err := q.read(id)
	q.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if orig.State != Rejected {
		return nil, fmt.Errorf("%w: %s is %s; only a rejected invoice is corrected technically", ErrInvalidEntry, id, orig.State)
	}
	if orig.CorrectedBy != "" {
		if c, err := q.Get(orig.CorrectedBy); err == nil && c.State != Rejected {
			return nil, fmt.Errorf("%w: %s already has the technical correction %s (%s)", ErrInvalidEntry, id, c.ID, c.State)
		}
	}
	fixed := sha256.Sum256(fixedXML)
	if base64.StdEncoding.EncodeToString(fixed[:]) == orig.Hash {
		return nil, fmt.Errorf("%w: the correction is the rejected file itself", ErrInvalidEntry)
	}
	c, err := q.Add(AddParams{Name: orig.Name + " (korekta techniczna)", XML: fixedXML, Form: orig.Form, Mode: orig.Mode,
		Issued: orig.Issued, Outages: orig.Outages})
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	c.Corrects, c.HashOfCorrectedInvoice, c.Deadline = orig.ID, orig.Hash, orig.Deadline
	if err := q.write(c); err != nil {
		return nil, err
	}
	orig.CorrectedBy = c.ID
	if err := q.write(orig); err != nil {
		return nil, err
	}
	return c, nil
}

// Correction is a technical correction and the invoice it corrects.
type Correction struct {
	// Original is the rejected invoice.
	Original Entry
	// Correction is its technical correction.
	Correction Entry
}

// Corrections returns every technical correction in the queue with its
// original, both with their outcomes.
func (q *Queue) Corrections() ([]Correction, error) {
	ents, err := q.List()
	if err != nil {
		return nil, err
	}
	var out []Correction
	for _, e := range ents {
		if e.Corrects == "" {
			continue
		}
		o, err := q.Get(e.Corrects)
		if err != nil {
			return nil, err
		}
		out = append(out, Correction{Original: *o, Correction: e})
	}
	return out, nil
}

func validID(id string) bool {
	if len(id) != 20 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func (q *Queue) read(id string) (*Entry, error) {
	if !validID(id) {
		return nil, fmt.Errorf("%w: bad id %q", ErrInvalidEntry, id)
	}
	b, err := os.ReadFile(filepath.Join(q.dir, id+".json"))
	if err != nil {
		return nil, err
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("offline: queue record %s: %w", id, err)
	}
	return &e, nil
}

// write stores e's record; callers hold q.mu.
func (q *Queue) write(e *Entry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(q.dir, e.ID+".json"), append(b, '\n'))
}

// update applies fn to the record of id under the lock.
func (q *Queue) update(id string, fn func(*Entry)) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, err := q.read(id)
	if err != nil {
		return err
	}
	fn(e)
	return q.write(e)
}

// writeAtomic writes data to path through a synced temporary file renamed
// over it, then syncs the directory.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("offline: queue: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// IssueDate reads the issue date (the first P_1 element) of an invoice
// file of any FA form.
func IssueDate(doc []byte) (time.Time, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return time.Time{}, errors.New("no issue date (P_1) in the invoice")
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("reading the invoice: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "P_1" {
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				return time.Time{}, err
			}
			t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
			if err != nil {
				return time.Time{}, fmt.Errorf("issue date (P_1) %q: %w", s, err)
			}
			return t, nil
		}
	}
}
