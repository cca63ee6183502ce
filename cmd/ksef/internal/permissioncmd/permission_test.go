package permissioncmd

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/simtest"
)

// TestGrantQueryRevoke drives `ksef permission` against the simulator:
// grants of several families with JSON output, the queries listing them,
// a refused grant failing the command with the operation's status, the
// status and attachments commands, and a revoke.
func TestGrantQueryRevoke(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	fpr := credentials.Fingerprint(fp.Certificate)

	res := clitest.DecodeJSON[OperationResult](t, c.MustRun("permission", "grant", "person", "-o", "json",
		"--subject", "fingerprint:"+fpr, "--perm", "InvoiceRead,invoicewrite", "--description", "cli accountant",
		"--first-name", "Anna", "--last-name", "Nowak", "--person-id", "pesel:44051401359"))
	if res.Status == nil || res.Status.Code != 200 || len(res.ReferenceNumber) != 36 {
		t.Fatalf("grant person: %+v", res)
	}
	other := string(ksef.RandomNIP(nil))
	if out := c.MustRun("permission", "grant", "entity", "--nip", other, "--name", "Biuro Sp. z o.o.",
		"--perm", "InvoiceRead", "--delegate", "InvoiceRead", "--description", "office"); !strings.Contains(out, "status 200") {
		t.Errorf("grant entity: %s", out)
	}
	c.MustRun("permission", "grant", "authorization", "--subject", "nip:"+other, "--perm", "selfinvoicing",
		"--name", "Biuro", "--description", "self-invoicing")
	unit, err := ident.NewInternalID(ident.NIP(nip), 1)
	if err != nil {
		t.Fatal(err)
	}
	c.MustRun("permission", "grant", "subunit", "--subject", "pesel:44051401359", "--unit", "internalid:"+string(unit),
		"--unit-name", "Oddział Gdańsk", "--description", "branch admin", "--first-name", "Jan", "--last-name", "Lis")
	c.MustRun("permission", "grant", "eu-admin", "--fingerprint", fpr, "--context", nip+"-DE123456789",
		"--eu-name", "Muster GmbH", "--eu-address", "Berlin", "--entity-name", "Muster GmbH", "--entity-address", "Berlin",
		"--description", "EU administrator")
	c.MustRun("permission", "grant", "indirect", "--subject", "fingerprint:"+fpr, "--perm", "InvoiceRead",
		"--description", "all clients", "--first-name", "Anna", "--last-name", "Nowak", "--person-id", "pesel:44051401359")

	persons := clitest.DecodeJSON[QueryResult[ksef.PersonPermission]](t, c.MustRun("permission", "query", "persons", "-o", "json", "--all"))
	var writeID string
	for _, p := range persons.Items {
		if p.PermissionScope == ksef.PersonPermissionScopeInvoiceWrite {
			writeID = p.ID
		}
	}
	// person ×2, entity, subunit (CredentialsManage of the subunit is not
	// in this context), indirect.
	if len(persons.Items) != 4 || writeID == "" {
		t.Fatalf("persons: %+v", persons.Items)
	}
	if out := c.MustRun("permission", "query", "subunits"); !strings.Contains(out, "Oddział Gdańsk") || !strings.Contains(out, "1 item(s)") {
		t.Errorf("subunits: %s", out)
	}
	auths := clitest.DecodeJSON[QueryResult[ksef.EntityAuthorizationGrant]](t, c.MustRun("permission", "query", "authorizations", "--granted", "-o", "json"))
	if len(auths.Items) != 1 || auths.Items[0].AuthorizationScope != ksef.InvoicePermissionTypeSelfInvoicing {
		t.Errorf("authorizations: %+v", auths)
	}
	eu := clitest.DecodeJSON[QueryResult[ksef.EuEntityPermission]](t, c.MustRun("permission", "query", "eu", "--vat-ue", "DE123456789", "-o", "json"))
	if len(eu.Items) != 4 {
		t.Errorf("eu: %+v", eu)
	}
	for _, q := range []string{"personal", "entities", "roles", "subordinates"} {
		if _, stderr, err := c.Run("permission", "query", q); err != nil {
			t.Errorf("query %s: %v %s", q, err, stderr)
		}
	}

	// A duplicate grant fails the command with the operation's status.
	out, _, err := c.Run("permission", "grant", "entity", "--nip", other, "--name", "Biuro", "--perm", "InvoiceRead", "--description", "office")
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(out, "status 400") {
		t.Errorf("duplicate: %v\n%s", err, out)
	}
	// Local validation before anything is sent.
	if _, _, err := c.Run("permission", "grant", "person", "--subject", "email:x", "--perm", "InvoiceRead", "--description", "bad subject", "--first-name", "A", "--last-name", "B"); err == nil {
		t.Error("a bad subject type was accepted")
	}

	rev := clitest.DecodeJSON[OperationResult](t, c.MustRun("permission", "revoke", writeID, "-o", "json", "--wait=false"))
	if rev.Status != nil {
		t.Errorf("revoke --wait=false waited: %+v", rev)
	}
	if out := c.MustRun("permission", "status", rev.ReferenceNumber, "--wait"); !strings.Contains(out, "status 200") {
		t.Errorf("status: %s", out)
	}
	persons = clitest.DecodeJSON[QueryResult[ksef.PersonPermission]](t, c.MustRun("permission", "query", "persons", "-o", "json", "--subject", "fingerprint:"+fpr))
	if len(persons.Items) != 2 { // InvoiceRead (person) and InvoiceRead (indirect)
		t.Errorf("after revoke: %+v", persons.Items)
	}
	if out := c.MustRun("permission", "attachments"); !strings.Contains(out, "not allowed") {
		t.Errorf("attachments: %s", out)
	}
	sim.SetAttachmentsAllowed(nip, true)
	if a := clitest.DecodeJSON[AttachmentStatus](t, c.MustRun("permission", "attachments", "-o", "json")); !a.Allowed {
		t.Errorf("attachments after opt-in: %+v", a)
	}
}

// TestCompletion checks the shell completion of the enumerated flag
// values.
func TestCompletion(t *testing.T) {
	c := clitest.New(t, New)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"permission", "grant", "person", "--perm", ""}, "EnforcementOperations"},
		{[]string{"permission", "grant", "authorization", "--perm", ""}, "PefInvoicing"},
		{[]string{"permission", "grant", "entity", "--delegate", ""}, "CollectiveIdentifierManage"},
		{[]string{"permission", "grant", "indirect", "--target", ""}, "internalid:"},
		{[]string{"permission", "grant", "subunit", "--unit", ""}, "internalid:"},
		{[]string{"permission", "grant", "person", "--subject", ""}, "fingerprint:"},
	} {
		out, _, err := c.Run(append([]string{"__complete"}, tc.args...)...)
		if err != nil || !strings.Contains(out, tc.want) || !strings.Contains(out, ":4") {
			t.Errorf("%v: %v\n%s", tc.args, err, out)
		}
	}
}
