package ksefsim

import (
	"net/http"
	"time"

	"github.com/ksef2/ksef"
)

// handleEnableAttachments serves POST /testdata/attachment.
func (s *Simulator) handleEnableAttachments(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.AttachmentPermissionGrantRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("nip", req.Nip); e != nil {
		return e
	}
	s.mu.Lock()
	s.setAttachmentConsent(req.Nip, true)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}

// handleRevokeAttachments serves POST /testdata/attachment/revoke: the
// permission ends at expectedEndDate (midnight UTC) or at once.
func (s *Simulator) handleRevokeAttachments(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.AttachmentPermissionRevokeRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	if e := checkNIP("nip", req.Nip); e != nil {
		return e
	}
	end := s.now().UTC()
	if req.ExpectedEndDate != "" {
		d, err := time.Parse(time.DateOnly, req.ExpectedEndDate)
		if err != nil {
			return validation("expectedEndDate: nieprawidłowa data %q.", req.ExpectedEndDate)
		}
		end = d
	}
	s.mu.Lock()
	// Allowed until end (a future expectedEndDate), with end as the
	// revocation date GET /permissions/attachments/status reports.
	s.perms().attachments[req.Nip] = &attachmentConsent{allowed: true, revoked: &end}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	return nil
}
