package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"
)

// listFlag collects comma-separated values from one or more uses of a flag:
// --env a,b --env c.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(*l, s) {
			*l = append(*l, s)
		}
	}
	return nil
}

// enumFlag accepts one of a fixed set of values.
type enumFlag struct {
	value   string
	allowed []string
}

func newEnum(fs *flag.FlagSet, name, def, usage string, allowed ...string) *enumFlag {
	e := &enumFlag{value: def, allowed: allowed}
	fs.Var(e, name, fmt.Sprintf("%s: %s", usage, strings.Join(allowed, ", ")))
	return e
}

func (e *enumFlag) String() string {
	if e == nil {
		return ""
	}
	return e.value
}

func (e *enumFlag) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("must be one of %s", strings.Join(e.allowed, ", "))
	}
	e.value = v
	return nil
}
