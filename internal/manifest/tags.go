package manifest

import (
	"cmp"
	"slices"
)

// Tag is one IAM tag of a user.
type Tag struct{ Key, Value string }

// Tags are a user's tags, sorted by key. A user carries a handful of tags,
// which a slice holds in a third of the memory of a map: with 250,000 users
// (50 accounts × 5,000) that is 60 MB of a loaded repository.
type Tags []Tag

// TagsOf returns the tags of m, sorted by key; nil when m is empty.
func TagsOf(m map[string]string) Tags {
	if len(m) == 0 {
		return nil
	}
	out := make(Tags, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Tag) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// Map returns the tags as a new map, nil when there are none.
func (t Tags) Map() map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for _, tag := range t {
		out[tag.Key] = tag.Value
	}
	return out
}
