package keys_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/keys"
)

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := keys.NewSecret("wJalrXUtnFEMI/K7MDENG")
	out := fmt.Sprintf("%v %s %+v %#v %q %x %d", s, s, s, s, s, s, struct{ S keys.Secret }{s})
	if strings.Contains(out, "wJalr") || strings.Contains(out, "774a616c") {
		t.Errorf("the secret is printed: %s", out)
	}
	if s.Reveal() != "wJalrXUtnFEMI/K7MDENG" {
		t.Error("Reveal does not return the secret")
	}
}

// recorder is a Port that records calls and fails the ones named in fail.
type recorder struct {
	calls []string
	fail  map[string]bool
}

func (r *recorder) do(call string) error {
	r.calls = append(r.calls, call)
	if r.fail[strings.Fields(call)[0]] {
		return errors.New(call + " refused")
	}
	return nil
}

func (r *recorder) MarkPending(_ context.Context, before []string) error {
	return r.do("mark " + strings.Join(before, ","))
}
func (r *recorder) ClearPending(context.Context) error { return r.do("clear") }
func (r *recorder) CreateKey(context.Context) (string, keys.Secret, error) {
	if err := r.do("create"); err != nil {
		return "", keys.Secret{}, err
	}
	return "AKIANEW", keys.NewSecret("s3cr3t"), nil
}
func (r *recorder) Deliver(_ context.Context, id string, s keys.Secret) error {
	return r.do("deliver " + id + " " + s.Reveal())
}
func (r *recorder) Deactivate(_ context.Context, id string) error { return r.do("deactivate " + id) }
func (r *recorder) Activate(_ context.Context, id string) error   { return r.do("activate " + id) }
func (r *recorder) Delete(_ context.Context, id string) error     { return r.do("delete " + id) }

// unsure is a Port whose delivery cannot be confirmed either way.
type unsure struct{ recorder }

func (u *unsure) Deliver(_ context.Context, id string, _ keys.Secret) error {
	_ = u.do("deliver " + id)
	return fmt.Errorf("%w: the answer was lost", keys.ErrDeliveryUnknown)
}

// A delivery nobody can confirm deactivates the new key and leaves the
// pending mark for the next run.
func TestRunDeliveryUnknown(t *testing.T) {
	t.Parallel()
	first := keys.Evaluate(keys.Input{Policy: policy, Now: at(0)})
	u := &unsure{recorder{fail: map[string]bool{}}}
	_, err := keys.Run(context.Background(), first, u)
	if diff := cmp.Diff([]string{"mark ", "create", "deliver AKIANEW", "deactivate AKIANEW"}, u.calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if !errors.Is(err, keys.ErrDeliveryFailed) || !errors.Is(err, keys.ErrDeliveryUnknown) || !strings.Contains(fmt.Sprint(err), "deactivated") {
		t.Errorf("error %v, want ErrDeliveryFailed and ErrDeliveryUnknown saying the key was deactivated", err)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	rotation := keys.Evaluate(keys.Input{Policy: policy, Keys: []keys.Key{{ID: "AKIAOLD", Status: keys.Active, Created: at(0)}},
		Delivered: keys.Delivered{Current: "AKIAOLD"}, Now: at(90)})
	tests := []struct {
		name      string
		fail      []string
		wantCalls []string
		wantErr   string
	}{
		{"all good", nil, []string{"mark AKIAOLD", "create", "deliver AKIANEW s3cr3t", "clear"}, ""},
		{"delivery fails", []string{"deliver"}, []string{"mark AKIAOLD", "create", "deliver AKIANEW s3cr3t", "delete AKIANEW", "clear"},
			"the new access key could not be delivered (it was deleted again): deliver AKIANEW s3cr3t refused"},
		{"delivery and deletion fail", []string{"deliver", "delete"}, []string{"mark AKIAOLD", "create", "deliver AKIANEW s3cr3t", "delete AKIANEW"},
			"the new access key could not be delivered: deliver AKIANEW s3cr3t refused; then delete AKIANEW: delete AKIANEW refused"},
		{"creation fails", []string{"create"}, []string{"mark AKIAOLD", "create"}, "create: create refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &recorder{fail: map[string]bool{}}
			for _, f := range tt.fail {
				r.fail[f] = true
			}
			_, err := keys.Run(context.Background(), rotation, r)
			errText := ""
			if err != nil {
				errText = err.Error()
			}
			if diff := cmp.Diff([]any{tt.wantCalls, tt.wantErr}, []any{r.calls, errText}); diff != "" {
				t.Errorf("calls, error (-want +got):\n%s", diff)
			}
			if (len(tt.fail) > 0 && tt.fail[0] == "deliver") != errors.Is(err, keys.ErrDeliveryFailed) {
				t.Errorf("errors.Is(%v, ErrDeliveryFailed) is wrong", err)
			}
		})
	}
}
