package ksefsend

import (
	"context"
	"errors"

	"github.com/ksef2/ksef"
)

// OfflineIssuing lets a [Sender] issue invoices offline by itself when
// KSeF cannot take them: before each invoice the sender asks Check; when
// it answers that an offline mode applies (KSeF declared a failure or
// maintenance in Latarnia, or the program was told that its connection is
// down), the invoice is not sent but handed to Keep, which stores it
// durably to be sent later with offlineMode: true, and its outcome is
// [IssuedOffline]. An invoice whose sending failed (KSeF unreachable) is
// kept too when Check then says offline: should the failed send have
// registered it after all, sending it later gives a duplicate with the
// original KSeF number, never a second number.
//
// Package offline provides both functions: a Latarnia-backed switch and a
// durable queue (offline.Queue.Issuing).
type OfflineIssuing struct {
	// Check returns the offline mode that applies now ("offline24",
	// "offline", "awaryjny", ...) and whether one applies. It is called
	// once per invoice: cache what it asks.
	Check func(ctx context.Context) (mode string, offline bool)
	// Keep stores the invoice issued offline in mode and returns the id
	// under which it is kept. An error makes the invoice's outcome Failed.
	Keep func(ctx context.Context, in Input, mode string) (id string, err error)
}

// OfflineKept says where an invoice issued offline was kept.
type OfflineKept struct {
	// Mode is the offline mode it was issued in.
	Mode string
	// ID is the id Keep returned.
	ID string
}

// keepOffline hands inp to the offline issuing when it is configured and
// says offline; sendErr is the error of a failed send, if any.
func (r *run) keepOffline(inp Input, sendErr error) (Outcome, bool) {
	mode, off := offlineNow(r.ctx, r.snd.Offline, inp)
	if !off {
		return Outcome{}, false
	}
	return keepAs(r.ctx, r.snd.Offline, inp, mode, sendErr), true
}

// offlineNow asks oi, when it is configured, whether inp (an invoice not
// already issued offline) is to be issued offline now, and in which mode.
func offlineNow(ctx context.Context, oi *OfflineIssuing, inp Input) (string, bool) {
	if oi == nil || oi.Check == nil || oi.Keep == nil || inp.OfflineMode || ctx.Err() != nil {
		return "", false
	}
	return oi.Check(ctx)
}

// keepAs keeps inp offline in mode with oi and returns its outcome.
func keepAs(ctx context.Context, oi *OfflineIssuing, inp Input, mode string, sendErr error) Outcome {
	id, err := oi.Keep(ctx, inp, mode)
	if err != nil {
		return Outcome{Kind: Failed, Err: errors.Join(sendErr, err)}
	}
	return Outcome{Kind: IssuedOffline, Offline: &OfflineKept{Mode: mode, ID: id}, Err: sendErr}
}

// sendParams are the send parameters of inp (nil for an online invoice).
func sendParams(inp Input) *ksef.SendInvoiceParams {
	if !inp.OfflineMode && inp.HashOfCorrectedInvoice == nil {
		return nil
	}
	return &ksef.SendInvoiceParams{OfflineMode: inp.OfflineMode, HashOfCorrectedInvoice: inp.HashOfCorrectedInvoice}
}
