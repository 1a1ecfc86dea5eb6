package action

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// randomDelimiter returns a heredoc delimiter for GITHUB_OUTPUT that does
// not occur in value.
func randomDelimiter(value string) string {
	for {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		d := hex.EncodeToString(b)
		if !strings.Contains(value, d) {
			return d
		}
	}
}
