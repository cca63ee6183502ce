package gen

import (
	"fmt"
	"go/format"

	"github.com/ksef2/ksef/internal/xsd"
)

func genModel(cfg Config, c *xsd.Compiled) ([]byte, error) {
	out, err := format.Source([]byte(header(cfg, c)))
	if err != nil {
		return nil, fmt.Errorf("gen: formatting model: %w", err)
	}
	return out, nil
}
