package ksefsim

import (
	"bytes"

	"github.com/ksef2/ksef"
)

// Technical corrections (offline/korekta-techniczna.md): an offline
// invoice KSeF rejected for technical reasons is sent again, fixed, in an
// online session with offlineMode: true and hashOfCorrectedInvoice = the
// SHA-256 of the rejected file. The simulator refuses with
//
//   - 21167 "Status faktury nie pozwala na korektę techniczną" when the
//     invoice named is correctly processed (status 200), was rejected for
//     missing permissions (410: corrections are not for those), was not
//     sent in offline mode, or is unknown in the context (how KSeF
//     answers the last two is not documented);
//   - 21166 "Korekta techniczna niedostępna" when an accepted technical
//     correction of it exists already;
//   - 21405 when hashOfCorrectedInvoice comes without offlineMode: true
//     (not documented either: the documentation only says both are set).

// correctionNeedsOffline refuses hashOfCorrectedInvoice without
// offlineMode: true.
func correctionNeedsOffline(req *ksef.SendInvoiceRequest) *apiError {
	if req.HashOfCorrectedInvoice != nil && (req.OfflineMode == nil || !*req.OfflineMode) {
		return validation("hashOfCorrectedInvoice: korekta techniczna wymaga offlineMode = true.")
	}
	return nil
}

// checkCorrection applies the technical-correction rules to inv, sent to
// sess with hashOfCorrectedInvoice = corrected (nil: not a correction),
// and links inv to the invoice it corrects. Callers hold s.mu.
func (s *Simulator) checkCorrection(sess *onlineSession, inv *sessionInvoice, corrected []byte) *apiError {
	if corrected == nil {
		return nil
	}
	refuse := func() *apiError {
		return badRequest(21167, "Nie można wysłać korekty technicznej do prawidłowo przetworzonej faktury.")
	}
	var originals int
	for _, o := range s.st.online().invoices {
		if o.session.ctx != sess.ctx {
			continue
		}
		if bytes.Equal(o.corrects, corrected) && o.status.Code == 200 {
			return badRequest(21166, "Faktura posiada już przetworzoną prawidłowo korektę techniczną.")
		}
		if !bytes.Equal(o.hash, corrected) {
			continue
		}
		switch o.status.Code {
		case 405, 550: // cancelled: KSeF registered nothing
			continue
		case 200, 410:
			return refuse()
		}
		if o.mode() != "Offline" {
			return refuse()
		}
		originals++
	}
	if originals == 0 {
		return refuse()
	}
	inv.corrects = corrected
	return nil
}
