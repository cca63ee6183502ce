package xsd

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
)

// rewrite is one rewriteSystem/rewriteURI entry of an OASIS XML catalog.
type rewrite struct {
	prefix string
	base   string // absolute local directory (with trailing separator semantics)
}

// readCatalog reads the rewriteSystem and rewriteURI entries of an OASIS
// XML catalog; other entry kinds are rejected.
func readCatalog(file string) ([]rewrite, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("xsd: %w", err)
	}
	var cat struct {
		Entries []struct {
			XMLName xml.Name
			Attrs   []xml.Attr `xml:",any,attr"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal(data, &cat); err != nil {
		return nil, fmt.Errorf("xsd: parsing catalog %s: %w", file, err)
	}
	var out []rewrite
	for _, e := range cat.Entries {
		attr := func(n string) string {
			for _, a := range e.Attrs {
				if a.Name.Local == n {
					return a.Value
				}
			}
			return ""
		}
		var prefix string
		switch e.XMLName.Local {
		case "rewriteSystem":
			prefix = attr("systemIdStartString")
		case "rewriteURI":
			prefix = attr("uriStartString")
		default:
			return nil, fmt.Errorf("xsd: catalog %s: unsupported entry %s", file, e.XMLName.Local)
		}
		base := attr("rewritePrefix")
		if !filepath.IsAbs(base) {
			base = filepath.Join(filepath.Dir(file), filepath.FromSlash(base))
		}
		out = append(out, rewrite{prefix: prefix, base: base})
	}
	return out, nil
}
