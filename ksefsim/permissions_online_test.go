package ksefsim_test

import (
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// TestRRInvoicingAuthorization is workflows §C 30: the buyer issues an
// FA_RR invoice of a flat-rate farmer (Podmiot1) with the farmer's
// RRInvoicing authorization (status 200); without it, and after its
// revocation, status 410. SelfInvoicing does not cover FA_RR.
func TestRRInvoicingAuthorization(t *testing.T) {
	c, _ := newRawClient(t)
	farmer, buyer := newIdentity(t, c), newIdentity(t, c)
	grant := func(scope ksef.EntityAuthorizationPermissionType) {
		var op ksef.PermissionsOperationResponse
		c.ok("POST", "/permissions/authorizations/grants", ksef.EntityAuthorizationPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: buyer.NIP}, Permission: scope,
			Description: "skup płodów rolnych", SubjectDetails: ksef.EntityDetails{FullName: "Skup Sp. z o.o."},
		}, 202, &op)
		var st ksef.PermissionsOperationStatusResponse
		c.ok("GET", "/permissions/operations/"+op.ReferenceNumber, nil, 200, &st)
		if st.Status.Code != 200 {
			t.Fatalf("grant %s: %+v", scope, st.Status)
		}
	}
	send := func(number string) int32 {
		c.loginID(buyer)
		sess, key := c.openSession(formFARR)
		return c.final(sess, key, invoice(t, "invoice-template-fa-rr-1.xml", farmer.NIP, number)).Status.Code
	}
	if code := send("RR/1"); code != 410 {
		t.Errorf("without an authorization: %d, want 410", code)
	}
	c.loginID(farmer)
	grant(ksef.EntityAuthorizationPermissionTypeSelfInvoicing)
	if code := send("RR/2"); code != 410 {
		t.Errorf("with SelfInvoicing only: %d, want 410", code)
	}
	c.loginID(farmer)
	grant(ksef.EntityAuthorizationPermissionTypeRRInvoicing)
	if code := send("RR/3"); code != 200 {
		t.Errorf("with RRInvoicing: %d, want 200", code)
	}
	c.loginID(farmer)
	var q ksef.QueryEntityAuthorizationPermissionsResponse
	c.ok("POST", "/permissions/query/authorizations/grants", ksef.EntityAuthorizationPermissionsQueryRequest{
		QueryType: ksef.QueryTypeGranted, PermissionTypes: []ksef.InvoicePermissionType{ksef.InvoicePermissionTypeRRInvoicing},
	}, 200, &q)
	if len(q.AuthorizationGrants) != 1 {
		t.Fatalf("granted RRInvoicing: %+v", q)
	}
	c.ok("DELETE", "/permissions/authorizations/grants/"+q.AuthorizationGrants[0].ID, nil, 202, nil)
	if code := send("RR/4"); code != 410 {
		t.Errorf("after the revocation: %d, want 410", code)
	}
}
