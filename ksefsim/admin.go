package ksefsim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// AdminPath is the path prefix of the simulator's control API, served only
// with [WithAdminAPI]. It lies outside [BasePath], so it is never confused
// with KSeF operations.
const AdminPath = "/_sim"

// WithAdminAPI serves a small JSON control API under [AdminPath] so that
// programs that cannot call Go (other languages, CI scripts talking to
// "ksef sim serve") can steer the simulator:
//
//	GET    /_sim                      {"now", "operations"}
//	POST   /_sim/faults               {"operation", "count", "status", "retryAfterSeconds", "delayMillis", "drop", "afterProcessing"}
//	                                  ("operation": "METHOD /path" of the spec, or "PUT /storage/batch/" for the part uploads)
//	DELETE /_sim/faults               remove pending faults
//	POST   /_sim/clock                {"advanceSeconds"} → {"now"}
//	POST   /_sim/keys/rotate          emergency rotation of the MF keys
//	POST   /_sim/maintenance          {"on"}: sends to the open online sessions get 21184 (Simulator.SetMaintenance)
//	POST   /_sim/outages              {"category": "MAINTENANCE" | "FAILURE" | "TOTAL_FAILURE", "title"} → {"eventId"} (Simulator.StartOutage)
//	DELETE /_sim/outages/{eventId}    the outage ends (Simulator.EndOutage)
//	POST   /_sim/rate-limits/reset    forget counted requests
//	POST   /_sim/identities           {"kind": "seal" | "person"} → {"nip", "pesel", "certificatePem", "keyPem"}
//	GET    /_sim/calls                {"METHOD /path": count, ...}
//
// It has no authentication: enable it only on loopback or trusted networks.
func WithAdminAPI() Option {
	return func(c *config) { c.admin = true }
}

// Advance moves the simulator's time forward by d (backward when negative)
// on top of its clock, whatever the clock is.
func (s *Simulator) Advance(d time.Duration) {
	s.offset.Add(int64(d))
}

type adminFault struct {
	Operation         string `json:"operation"`
	Count             int    `json:"count"`
	Status            int    `json:"status"`
	RetryAfterSeconds int    `json:"retryAfterSeconds"`
	DelayMillis       int    `json:"delayMillis"`
	Drop              bool   `json:"drop"`
	AfterProcessing   bool   `json:"afterProcessing"`
}

// registerAdmin installs the control API.
func (s *Simulator) registerAdmin() {
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request) (any, int)) {
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			v, status := f(w, r)
			if v == nil {
				w.WriteHeader(status)
				return
			}
			writeJSON(w, status, "application/json", v)
		})
	}
	h("GET "+AdminPath, func(http.ResponseWriter, *http.Request) (any, int) {
		return map[string]any{"now": s.now(), "operations": s.Handled()}, http.StatusOK
	})
	h("POST "+AdminPath+"/faults", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		var f adminFault
		if err := decodeAdmin(r, &f); err != nil {
			return adminError(err.Error()), http.StatusBadRequest
		}
		if f.Operation == "" || f.Count <= 0 {
			return adminError(`"operation" and a positive "count" are required`), http.StatusBadRequest
		}
		if f.Operation != AnyOperation && !s.serves(f.Operation) {
			return adminError("unknown operation " + f.Operation), http.StatusBadRequest
		}
		s.faults.Fail(f.Operation, f.Count, Fault{
			Status:          f.Status,
			RetryAfter:      time.Duration(f.RetryAfterSeconds) * time.Second,
			Delay:           time.Duration(f.DelayMillis) * time.Millisecond,
			Drop:            f.Drop,
			AfterProcessing: f.AfterProcessing,
		})
		return nil, http.StatusNoContent
	})
	h("DELETE "+AdminPath+"/faults", func(http.ResponseWriter, *http.Request) (any, int) {
		s.faults.Clear()
		return nil, http.StatusNoContent
	})
	h("POST "+AdminPath+"/clock", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		var c struct {
			AdvanceSeconds float64 `json:"advanceSeconds"`
		}
		if err := decodeAdmin(r, &c); err != nil {
			return adminError(err.Error()), http.StatusBadRequest
		}
		s.Advance(time.Duration(c.AdvanceSeconds * float64(time.Second)))
		return map[string]any{"now": s.now()}, http.StatusOK
	})
	h("POST "+AdminPath+"/keys/rotate", func(http.ResponseWriter, *http.Request) (any, int) {
		s.RotateKeys()
		return nil, http.StatusNoContent
	})
	h("POST "+AdminPath+"/maintenance", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		var m struct {
			On bool `json:"on"`
		}
		if err := decodeAdmin(r, &m); err != nil {
			return adminError(err.Error()), http.StatusBadRequest
		}
		s.SetMaintenance(m.On)
		return nil, http.StatusNoContent
	})
	s.registerOutageAdmin(h)
	h("POST "+AdminPath+"/rate-limits/reset", func(http.ResponseWriter, *http.Request) (any, int) {
		s.ResetRateLimits()
		return nil, http.StatusNoContent
	})
	h("POST "+AdminPath+"/identities", func(_ http.ResponseWriter, r *http.Request) (any, int) {
		var q struct {
			Kind string `json:"kind"`
		}
		if err := decodeAdmin(r, &q); err != nil {
			return adminError(err.Error()), http.StatusBadRequest
		}
		var id *TestIdentity
		var err error
		switch q.Kind {
		case "", "seal":
			id, err = s.NewTestIdentity()
		case "person":
			id, err = s.NewTestPerson()
		default:
			return adminError(`"kind" must be "seal" or "person"`), http.StatusBadRequest
		}
		if err != nil {
			return adminError(err.Error()), http.StatusInternalServerError
		}
		key, err := id.KeyPEM()
		if err != nil {
			return adminError(err.Error()), http.StatusInternalServerError
		}
		return map[string]string{
			"nip": id.NIP, "pesel": id.PESEL,
			"certificatePem": string(id.CertificatePEM()), "keyPem": string(key),
		}, http.StatusCreated
	})
	h("GET "+AdminPath+"/calls", func(http.ResponseWriter, *http.Request) (any, int) {
		out := map[string]int{}
		for _, op := range s.Handled() {
			if n := s.Calls(op); n > 0 {
				out[op] = n
			}
		}
		return out, http.StatusOK
	})
}

// serves reports whether op is one of the simulator's operations (or the
// pre-signed part uploads, PartUploadOperation).
func (s *Simulator) serves(op string) bool {
	if op == PartUploadOperation {
		return true
	}
	for _, rt := range s.routes {
		if rt.op.String() == op {
			return true
		}
	}
	return false
}

// decodeAdmin reads an optional JSON body.
func decodeAdmin(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil || len(b) == 0 {
		return err
	}
	return json.Unmarshal(b, v)
}

func adminError(msg string) map[string]string { return map[string]string{"error": "ksefsim: " + msg} }
