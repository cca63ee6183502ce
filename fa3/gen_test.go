package fa3

import (
	"testing"

	"github.com/ksef2/ksef/internal/xsd/gen"
	"github.com/ksef2/ksef/internal/xsd/xsdtest"
)

func TestGeneratedCodeIsUpToDate(t *testing.T) {
	xsdtest.CheckGenerated(t, ".", gen.Config{Schema: schemaRel, Package: "fa3", Root: "Faktura"})
}
