package ksefsim

import (
	"crypto/x509"
	"sync"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
)

// onlineStore is the simulator's memory of online sessions, their invoices
// and the invoices KSeF accepted (for duplicate detection). It lives in
// state and is guarded by Simulator.mu.
type onlineStore struct {
	sessions map[string]*onlineSession
	order    []*onlineSession // in creation order
	invoices map[string]*sessionInvoice
	accepted map[dupKey]*sessionInvoice // accepted invoices, by duplicate key
	byKSeF   map[string]*sessionInvoice
	upoCert  *x509.Certificate // issued on first use, see upoSigner
}

// online returns the online-session store, creating it on first use.
func (st *state) online() *onlineStore {
	if st.onlineSt == nil {
		st.onlineSt = &onlineStore{
			sessions: map[string]*onlineSession{},
			invoices: map[string]*sessionInvoice{},
			accepted: map[dupKey]*sessionInvoice{},
			byKSeF:   map[string]*sessionInvoice{},
		}
	}
	return st.onlineSt
}

// dupKey is what makes two invoices duplicates: seller NIP, invoice kind
// (RodzajFaktury) and invoice number (P_2).
type dupKey struct{ seller, kind, number string }

// onlineSession is one interactive session.
type onlineSession struct {
	ref         string
	ctx         ctxID
	creator     subjectID
	authRef     string
	tokenRef    string // the KSeF token of a token-authenticated session
	authDocHash string // SHA-256 of the signed AuthTokenRequest of a XAdES session
	enforcement bool   // opened with EnforcementOperations
	form        formSpec
	key         *envelope.Key
	keyError    bool // the symmetric key could not be unwrapped (415)
	created     time.Time
	validUntil  time.Time
	updated     time.Time
	closedAt    *time.Time // explicit close
	invoices    []*sessionInvoice
	pages       []*upoPage // session UPO pages, set once processed

	// subjectValidation: opened with X-KSeF-Feature:
	// subject-identifier-validation (party identifiers checked, 450).
	subjectValidation bool
	// maintenance: sends refused with 21184 (Simulator.SetMaintenance).
	maintenance bool
	// batch is set for a batch session (see batch.go).
	batch *batchInfo
}

// upoPage is one page of a session UPO.
type upoPage struct {
	ref    string
	number int
	first  int // index into the successful invoices
	end    int // exclusive
	xml    []byte
}

// sessionInvoice is one invoice sent in an online session.
type sessionInvoice struct {
	ref           string
	ordinal       int
	session       *onlineSession
	hash          []byte // SHA-256 of the plain invoice
	sentAt        time.Time
	readyAt       time.Time
	offline       bool
	corrects      []byte                 // hashOfCorrectedInvoice of a technical correction (correction.go)
	status        ksef.InvoiceStatusInfo // final status, shown from readyAt
	ksefNumber    string
	invoiceNumber string
	sellerNIP     string
	issueDate     time.Time
	upoXML        []byte
	fileName      string // the file's name in a batch package
}

// closedAt returns when the session was closed (explicitly or by expiry at
// validUntil) and whether it is closed at now.
func (sess *onlineSession) closeTime(now time.Time) (time.Time, bool) {
	if sess.closedAt != nil {
		return *sess.closedAt, true
	}
	if !now.Before(sess.validUntil) {
		return sess.validUntil, true
	}
	return time.Time{}, false
}

// processedAt returns when a closed session is processed: its close plus
// the processing delay, and not before its last invoice.
func (sess *onlineSession) processedAt(closed time.Time, delay time.Duration) time.Time {
	t := closed.Add(delay)
	for _, inv := range sess.invoices {
		if inv.readyAt.After(t) {
			t = inv.readyAt
		}
	}
	return t
}

// sessionStatuses are the documented online session statuses.
var sessionStatuses = map[int32]ksef.StatusInfo{
	100: {Code: 100, Description: "Sesja interaktywna otwarta"},
	170: {Code: 170, Description: "Sesja interaktywna zamknięta"},
	200: {Code: 200, Description: "Sesja interaktywna przetworzona pomyślnie"},
	415: {Code: 415, Description: "Błąd odszyfrowania dostarczonego klucza"},
	440: {Code: 440, Description: "Sesja anulowana", Details: []string{"Nie przesłano faktur"}},
	445: {Code: 445, Description: "Błąd weryfikacji, brak poprawnych faktur"},
}

// statusAt is the session status at now with the processing delay; the
// session's own status method uses no delay (see Simulator.sessionStatus).
func (sess *onlineSession) statusAt(now time.Time, delay time.Duration) ksef.StatusInfo {
	if sess.batch != nil {
		return sess.batchStatusAt(now, delay)
	}
	if sess.keyError {
		return sessionStatuses[415]
	}
	closed, ok := sess.closeTime(now)
	if !ok {
		return sessionStatuses[100]
	}
	if now.Before(sess.processedAt(closed, delay)) {
		return sessionStatuses[170]
	}
	if len(sess.invoices) == 0 {
		return sessionStatuses[440]
	}
	for _, inv := range sess.invoices {
		if inv.status.Code == 200 {
			return sessionStatuses[200]
		}
	}
	return sessionStatuses[445]
}

// status is the session status as far as sending is concerned: open (100)
// or not.
func (sess *onlineSession) status(now time.Time) ksef.StatusInfo {
	return sess.statusAt(now, 0)
}

// dateUpdated is the last change of the session visible at now.
func (sess *onlineSession) dateUpdated(now time.Time, delay time.Duration) time.Time {
	t := sess.created
	later := func(x time.Time) {
		if x.After(t) && !x.After(now) {
			t = x
		}
	}
	later(sess.updated)
	for _, inv := range sess.invoices {
		later(inv.sentAt)
		later(inv.readyAt)
	}
	if closed, ok := sess.closeTime(now); ok {
		later(closed)
		later(sess.processedAt(closed, delay))
	}
	return t
}

// counts returns the numbers of invoices, successful and failed, at now.
func (sess *onlineSession) counts(now time.Time) (total, ok, failed int32) {
	for _, inv := range sess.invoices {
		total++
		if now.Before(inv.readyAt) {
			continue
		}
		if inv.status.Code == 200 {
			ok++
		} else {
			failed++
		}
	}
	return total, ok, failed
}

// successful returns the invoices accepted with a KSeF number, in order.
func (sess *onlineSession) successful() []*sessionInvoice {
	var out []*sessionInvoice
	for _, inv := range sess.invoices {
		if inv.status.Code == 200 {
			out = append(out, inv)
		}
	}
	return out
}

// invoiceDescriptions are the documented invoice status descriptions.
var invoiceDescriptions = map[int32]string{
	100: "Faktura przyjęta do dalszego przetwarzania",
	150: "Trwa przetwarzanie",
	200: "Sukces",
	405: "Przetwarzanie anulowane z powodu błędu sesji",
	410: "Nieprawidłowy zakres uprawnień",
	415: "Brak możliwości wysyłania faktury z załącznikiem",
	430: "Błąd weryfikacji pliku faktury",
	435: "Błąd odszyfrowania pliku",
	440: "Duplikat faktury",
	450: "Błąd weryfikacji semantyki dokumentu faktury",
	500: "Nieznany błąd (500)",
	550: "Operacja została anulowana przez system",
}

func invoiceStatus(code int32) ksef.InvoiceStatusInfo {
	return ksef.InvoiceStatusInfo{Code: code, Description: invoiceDescriptions[code]}
}

// statusAt returns the invoice status at now: 100, then 150 in the second
// half of the processing delay, then the final status.
func (inv *sessionInvoice) statusAt(now time.Time) ksef.InvoiceStatusInfo {
	if now.Before(inv.readyAt) {
		if now.Before(inv.sentAt.Add(inv.readyAt.Sub(inv.sentAt) / 2)) {
			return invoiceStatus(100)
		}
		return invoiceStatus(150)
	}
	return inv.status
}

// done reports whether the invoice has its final status at now.
func (inv *sessionInvoice) done(now time.Time) bool { return !now.Before(inv.readyAt) }

var (
	warsawOnce sync.Once
	warsawLoc  *time.Location
)

// warsaw returns the Europe/Warsaw time zone (the date of a KSeF number is
// the Polish calendar day), or CET when the zone database is missing.
func warsaw() *time.Location {
	warsawOnce.Do(func() {
		loc, err := time.LoadLocation("Europe/Warsaw")
		if err != nil {
			loc = time.FixedZone("CET", 3600)
		}
		warsawLoc = loc
	})
	return warsawLoc
}

// newKSeFNumber returns a KSeF number for an invoice of seller accepted at t.
func newKSeFNumber(seller string, t time.Time) string {
	return string(ident.NewKSeFNumber(ident.NIP(seller), t.In(warsaw()), nil))
}
