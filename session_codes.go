package ksef

import (
	"errors"
	"strconv"
)

// SessionStatusCode is the status code of an online or batch session
// (GET /sessions/{referenceNumber}, ksef-facts §6).
type SessionStatusCode int

// Session status codes. Online sessions use 100, 170, 200, 415, 440 and
// 445; batch sessions 100, 150, 200, 405, 415, 420, 430, 435, 440, 445
// and 500.
const (
	SessionStatusOpen                 SessionStatusCode = 100 // Session open (batch: started).
	SessionStatusProcessing           SessionStatusCode = 150 // Batch session being processed.
	SessionStatusClosed               SessionStatusCode = 170 // Online session closed; processing and UPO generation under way.
	SessionStatusProcessed            SessionStatusCode = 200 // Session processed; the UPO is available.
	SessionStatusVerificationError    SessionStatusCode = 405 // Batch package verification error.
	SessionStatusKeyDecryptionError   SessionStatusCode = 415 // The symmetric key could not be decrypted.
	SessionStatusInvoiceLimitExceeded SessionStatusCode = 420 // Batch session invoice limit exceeded.
	SessionStatusDecompressionError   SessionStatusCode = 430 // Batch package decompression error.
	SessionStatusPartDecryptionError  SessionStatusCode = 435 // A batch part could not be decrypted.
	SessionStatusCancelled            SessionStatusCode = 440 // Session cancelled (upload time exceeded, or no invoices sent).
	SessionStatusNoValidInvoices      SessionStatusCode = 445 // Session processed, but no invoice was valid (all rejected).
	SessionStatusUnknownError         SessionStatusCode = 500 // Unknown error.
)

var sessionStatusText = map[SessionStatusCode]string{
	SessionStatusOpen:                 "session open",
	SessionStatusProcessing:           "session being processed",
	SessionStatusClosed:               "session closed, processing",
	SessionStatusProcessed:            "session processed",
	SessionStatusVerificationError:    "package verification error",
	SessionStatusKeyDecryptionError:   "symmetric key decryption error",
	SessionStatusInvoiceLimitExceeded: "invoice limit exceeded",
	SessionStatusDecompressionError:   "package decompression error",
	SessionStatusPartDecryptionError:  "part decryption error",
	SessionStatusCancelled:            "session cancelled",
	SessionStatusNoValidInvoices:      "no valid invoices (all rejected)",
	SessionStatusUnknownError:         "unknown error",
}

// String returns a short English description of the code.
func (c SessionStatusCode) String() string {
	if s, ok := sessionStatusText[c]; ok {
		return s
	}
	return "session status " + strconv.Itoa(int(c))
}

// Terminal reports whether the session will not change status any more
// (processed or failed).
func (c SessionStatusCode) Terminal() bool {
	return c >= 200
}

// InvoiceStatusCode is the status code of an invoice sent in a session
// (GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber},
// ksef-facts §6).
type InvoiceStatusCode int

// Invoice status codes.
const (
	InvoiceStatusAccepted          InvoiceStatusCode = 100 // Invoice accepted for processing.
	InvoiceStatusProcessing        InvoiceStatusCode = 150 // Invoice being processed.
	InvoiceStatusSuccess           InvoiceStatusCode = 200 // Invoice registered: it has a KSeF number.
	InvoiceStatusSessionCancelled  InvoiceStatusCode = 405 // Processing cancelled because of a session error.
	InvoiceStatusPermissionScope   InvoiceStatusCode = 410 // The sender's permissions do not cover the invoice.
	InvoiceStatusAttachmentRefused InvoiceStatusCode = 415 // Attachments are not allowed for this sender or session.
	InvoiceStatusSchemaError       InvoiceStatusCode = 430 // File verification error (schema).
	InvoiceStatusDecryptionError   InvoiceStatusCode = 435 // The invoice could not be decrypted.
	InvoiceStatusDuplicate         InvoiceStatusCode = 440 // Duplicate: the invoice is already in KSeF (see the original KSeF number).
	InvoiceStatusSemanticError     InvoiceStatusCode = 450 // Semantic verification error.
	InvoiceStatusUnknownError      InvoiceStatusCode = 500 // Unknown error.
	InvoiceStatusSystemError       InvoiceStatusCode = 550 // System error: the operation was cancelled; send the invoice again.
)

var invoiceStatusText = map[InvoiceStatusCode]string{
	InvoiceStatusAccepted:          "invoice accepted",
	InvoiceStatusProcessing:        "invoice being processed",
	InvoiceStatusSuccess:           "invoice registered",
	InvoiceStatusSessionCancelled:  "cancelled because of a session error",
	InvoiceStatusPermissionScope:   "outside the sender's permissions",
	InvoiceStatusAttachmentRefused: "attachments not allowed",
	InvoiceStatusSchemaError:       "schema verification error",
	InvoiceStatusDecryptionError:   "decryption error",
	InvoiceStatusDuplicate:         "duplicate invoice",
	InvoiceStatusSemanticError:     "semantic verification error",
	InvoiceStatusUnknownError:      "unknown error",
	InvoiceStatusSystemError:       "system error, send again",
}

// String returns a short English description of the code.
func (c InvoiceStatusCode) String() string {
	if s, ok := invoiceStatusText[c]; ok {
		return s
	}
	return "invoice status " + strconv.Itoa(int(c))
}

// Terminal reports whether the invoice will not change status any more.
func (c InvoiceStatusCode) Terminal() bool {
	return c >= 200
}

// Sentinel errors matched (errors.Is) by the *[StatusError] of a failed
// session (Operation "session").
var (
	ErrSessionKeyDecryption = errors.New("ksef: session failed: symmetric key decryption error (415)")
	ErrSessionCancelled     = errors.New("ksef: session cancelled (440)")
	ErrSessionNoValid       = errors.New("ksef: session processed: no valid invoices (445)")
	ErrSessionUnknown       = errors.New("ksef: session failed: unknown error (500)")
)

// Sentinel errors matched (errors.Is) by the *[StatusError] of a rejected
// invoice (Operation "invoice").
var (
	ErrInvoiceSessionCancelled  = errors.New("ksef: invoice cancelled because of a session error (405)")
	ErrInvoicePermissionScope   = errors.New("ksef: invoice outside the sender's permissions (410)")
	ErrInvoiceAttachmentRefused = errors.New("ksef: invoice attachments not allowed (415)")
	ErrInvoiceSchema            = errors.New("ksef: invoice schema verification error (430)")
	ErrInvoiceDecryption        = errors.New("ksef: invoice decryption error (435)")
	// ErrDuplicateInvoice: the invoice is already in KSeF. The
	// *StatusError's Duplicate field carries the original KSeF number and
	// session; most programs treat this as success.
	ErrDuplicateInvoice   = errors.New("ksef: duplicate invoice, already in KSeF (440)")
	ErrInvoiceSemantic    = errors.New("ksef: invoice semantic verification error (450)")
	ErrInvoiceUnknown     = errors.New("ksef: invoice failed: unknown error (500)")
	ErrInvoiceSystemError = errors.New("ksef: invoice cancelled by a system error (550)")
)

func init() {
	for code, err := range map[SessionStatusCode]error{
		SessionStatusKeyDecryptionError: ErrSessionKeyDecryption,
		SessionStatusCancelled:          ErrSessionCancelled,
		SessionStatusNoValidInvoices:    ErrSessionNoValid,
		SessionStatusUnknownError:       ErrSessionUnknown,
	} {
		registerStatusSentinel("session", int(code), err)
	}
	for code, err := range map[InvoiceStatusCode]error{
		InvoiceStatusSessionCancelled:  ErrInvoiceSessionCancelled,
		InvoiceStatusPermissionScope:   ErrInvoicePermissionScope,
		InvoiceStatusAttachmentRefused: ErrInvoiceAttachmentRefused,
		InvoiceStatusSchemaError:       ErrInvoiceSchema,
		InvoiceStatusDecryptionError:   ErrInvoiceDecryption,
		InvoiceStatusDuplicate:         ErrDuplicateInvoice,
		InvoiceStatusSemanticError:     ErrInvoiceSemantic,
		InvoiceStatusUnknownError:      ErrInvoiceUnknown,
		InvoiceStatusSystemError:       ErrInvoiceSystemError,
	} {
		registerStatusSentinel("invoice", int(code), err)
	}
}

// DuplicateInvoice identifies the invoice already in KSeF that a duplicate
// (invoice status 440) repeats: same seller NIP, invoice kind and number
// (P_2).
type DuplicateInvoice struct {
	// OriginalKSeFNumber is the KSeF number of the invoice already in KSeF.
	OriginalKSeFNumber string `json:"originalKsefNumber"`
	// OriginalSessionReferenceNumber is the session it was sent in.
	OriginalSessionReferenceNumber string `json:"originalSessionReferenceNumber,omitempty"`
}

// AsDuplicate reports whether err is (or wraps) a duplicate-invoice
// *[StatusError] (440) and returns the original invoice it repeats.
func AsDuplicate(err error) (*DuplicateInvoice, bool) {
	var se *StatusError
	if errors.As(err, &se) && se.Duplicate != nil {
		return se.Duplicate, true
	}
	return nil, false
}

// newInvoiceStatusError builds the *StatusError of a rejected invoice,
// with the 440 extensions when present.
func newInvoiceStatusError(invoiceRef string, st InvoiceStatusInfo) *StatusError {
	e := &StatusError{Operation: "invoice", ReferenceNumber: invoiceRef, Code: int(st.Code),
		Description: st.Description, Details: st.Details, Extensions: st.Extensions}
	if st.Code == int32(InvoiceStatusDuplicate) {
		d := &DuplicateInvoice{}
		if v, ok := st.Extensions["originalKsefNumber"].(string); ok {
			d.OriginalKSeFNumber = v
		}
		if v, ok := st.Extensions["originalSessionReferenceNumber"].(string); ok {
			d.OriginalSessionReferenceNumber = v
		}
		e.Duplicate = d
	}
	return e
}
