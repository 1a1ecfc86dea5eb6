package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/awsiam"
	"github.com/roster-dev/roster/internal/golden"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/manifest"
	"github.com/roster-dev/roster/internal/plan"
	"github.com/roster-dev/roster/internal/render"
	"github.com/roster-dev/roster/internal/testfixture"
)

var rotateDay0 = time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC)

// rotateRig is the scheduled rotation of one service account, ci-deployer,
// that already exists and is managed, against the fakes with the apply role
// allowed exactly docs/permissions.md's apply policy. The repository also
// declares bob, whom live IAM lacks: a rotation must never create him.
type rotateRig struct {
	srv     *iamtest.Server
	src     *awsiam.Source
	writers WriterFunc
	repo    *manifest.Repository
	pgp     bool

	mu          sync.Mutex
	now         time.Time
	failPublish bool
	published   []apply.SealedKey
	issued      map[string]string // every key's secret the fake issued, by key ID
	outputs     bytes.Buffer      // every rotation report, in every format
}

func newRotateRig(t *testing.T, deliver string) *rotateRig {
	t.Helper()
	r := &rotateRig{now: rotateDay0, pgp: deliver == "pgp", issued: map[string]string{}}
	r.srv = iamtest.NewServer(t, iamtest.WithClock(func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }))
	acct := r.srv.Account(keysAccount)
	acct.AddRole("roster-apply", policyActions(t, "<!-- roster:apply-policy -->")...)
	acct.PutUser(iamtest.User{Name: "ci-deployer", Tags: []iamtest.Tag{{Key: "roster:managed", Value: "true"}, {Key: "roster:owner", Value: "platform-team"}}})
	base := r.srv.AWSConfig(iamtest.DefaultAccountID)
	base.Retryer = testRetryer
	r.src = &awsiam.Source{Base: base, Purpose: awsiam.ForApply}
	r.writers = awsiam.Writers(base, awsiam.WriterOptions{})
	spec := smAccessKey
	if r.pgp {
		spec = pgpAccessKey(t)
	}
	r.repo = keysRepoWith(t, rotateDay0, spec, "users:\n  - name: bob\n")
	return r
}

func (r *rotateRig) setDay(d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = rotateDay0.AddDate(0, 0, d)
}

// rotate runs one scheduled rotation and renders its report.
func (r *rotateRig) rotate(t *testing.T) *apply.Result {
	t.Helper()
	r.mu.Lock()
	now := r.now
	r.mu.Unlock()
	res := Rotate(context.Background(), r.repo, r.repo.Environments, r.src, r.writers, now, apply.Options{
		PublishKey: func(_ context.Context, k apply.SealedKey) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.failPublish {
				return errors.New("the job summary could not be written")
			}
			r.published = append(r.published, k)
			return nil
		},
	})
	for _, f := range []func() error{
		func() error { return render.ApplyText(&r.outputs, res) },
		func() error { return render.ApplyMarkdown(&r.outputs, res) },
		func() error { return render.ApplySummaryMarkdown(&r.outputs, res) },
		func() error { return render.ApplyJSON(&r.outputs, res) },
		func() error { return json.NewEncoder(&r.outputs).Encode(res) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := r.srv.Account(keysAccount).User("ci-deployer")
	for _, k := range u.AccessKeys {
		r.issued[k.ID] = k.Secret
	}
	return res
}

// settle rotates until a run has nothing to do: it takes no step (a
// service account whose keys need a person is still reported).
func (r *rotateRig) settle(t *testing.T) {
	t.Helper()
	for range 4 {
		res := r.rotate(t)
		if res.Failed() {
			t.Fatalf("rotation failed:\n%s", text(t, res))
		}
		if res.Tally().KeySteps == 0 {
			return
		}
	}
	t.Fatal("the rotation does not settle")
}

// delivered is what the destination holds: the secret's stages, or the
// delivered tag of a pgp service account.
func (r *rotateRig) delivered() keys.Delivered {
	if r.pgp {
		u, _ := r.srv.Account(keysAccount).User("ci-deployer")
		for _, tag := range u.Tags {
			if tag.Key == keys.DeliveredTag {
				return keys.ParseDelivered(tag.Value)
			}
		}
		return keys.Delivered{}
	}
	var d keys.Delivered
	sec, _ := r.srv.Secret(keysAccount, "us-east-1", "roster/ci-deployer")
	for _, v := range sec.Versions {
		id := strings.TrimPrefix(v.ID, "roster-access-key-")
		for _, st := range v.Stages {
			switch st {
			case "AWSCURRENT":
				d.Current = id
			case "AWSPREVIOUS":
				d.Previous = id
			}
		}
	}
	return d
}

// view is ci-deployer's keys by creation day, status and what the
// destination holds, and its pending marker.
func (r *rotateRig) view(t *testing.T) []string {
	t.Helper()
	u, _ := r.srv.Account(keysAccount).User("ci-deployer")
	d := r.delivered()
	var out []string
	for _, k := range u.AccessKeys {
		role := "undelivered"
		switch k.ID {
		case d.Current:
			role = "current"
		case d.Previous:
			role = "previous"
		}
		out = append(out, fmt.Sprintf("day %d %s %s", int(k.CreateDate.Sub(rotateDay0).Hours()/24), k.Status, role))
	}
	slices.Sort(out)
	for _, tag := range u.Tags {
		if tag.Key == keys.PendingTag {
			out = append(out, "pending marker")
		}
	}
	return out
}

// checkSecrets fails when a secret the fake issued appears in a report,
// and checks that each published sealed key opens to its key's real
// secret.
func (r *rotateRig) checkSecrets(t *testing.T) {
	t.Helper()
	for id, s := range r.issued {
		if strings.Contains(r.outputs.String(), s) {
			t.Errorf("the secret of %s appears in a rotation report", id)
		}
	}
	for _, k := range r.published {
		var got struct {
			AccessKeyID     string `json:"AccessKeyId"`
			SecretAccessKey string
		}
		if err := json.Unmarshal([]byte(testfixture.PGPKey(t).Decrypt(t, k.Message)), &got); err != nil {
			t.Fatalf("sealed key %s: %v", k.KeyID, err)
		}
		if got.AccessKeyID != k.KeyID || got.SecretAccessKey != r.issued[k.KeyID] {
			t.Errorf("sealed key %s opens to key %s with another secret than IAM issued", k.KeyID, got.AccessKeyID)
		}
	}
}

func text(t *testing.T, res *apply.Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.ApplyText(&b, res); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// keyWrites are the only writes a rotation may make.
var keyWrites = []string{"TagUser", "UntagUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey", "CreateSecret", "PutSecretValue", "TagResource"}

// The schedule, run by Rotate day after day for both destinations: the
// first run creates and delivers a key; day 89 nothing; day 90 a second key
// is delivered and both are active; day 97 the old key is inactive; day 98
// it is deleted. Nothing but the key lifecycle is written (bob, whom the
// repository declares, is not created), and no secret appears in a report.
func TestRotateSchedule(t *testing.T) {
	t.Parallel()
	for _, deliver := range []string{"secretsmanager", "pgp"} {
		t.Run(deliver, func(t *testing.T) {
			t.Parallel()
			r := newRotateRig(t, deliver)
			for _, step := range []struct {
				day  int
				want []string
			}{
				{0, []string{"day 0 Active current"}},
				{89, []string{"day 0 Active current"}},
				{90, []string{"day 0 Active previous", "day 90 Active current"}},
				{96, []string{"day 0 Active previous", "day 90 Active current"}},
				{97, []string{"day 0 Inactive previous", "day 90 Active current"}},
				{98, []string{"day 90 Active current"}},
				{99, []string{"day 90 Active current"}},
			} {
				r.setDay(step.day)
				res := r.rotate(t)
				if res.Failed() {
					t.Fatalf("day %d: rotation failed:\n%s", step.day, text(t, res))
				}
				if diff := cmp.Diff(step.want, r.view(t)); diff != "" {
					t.Errorf("day %d (-want +got):\n%s", step.day, diff)
				}
				if again := r.rotate(t); len(again.Environments[0].AccessKeys) != 0 {
					t.Errorf("day %d: a second run has steps:\n%s", step.day, text(t, again))
				}
			}
			for _, w := range r.srv.Writes() {
				if !slices.Contains(keyWrites, w.Action) || strings.Contains(fmt.Sprint(w.Params), "bob") {
					t.Errorf("a rotation wrote %s %v", w.Action, w.Params)
				}
			}
			if _, ok := r.srv.Account(keysAccount).User("bob"); ok {
				t.Error("a rotation created bob")
			}
			if want := map[bool]int{true: 2, false: 0}[r.pgp]; len(r.published) != want {
				t.Errorf("%d sealed keys published, want %d", len(r.published), want)
			}
			r.checkSecrets(t)
		})
	}
}

// A runner that dies at any point of a rotation leaves what it did in IAM
// and the destination; the next run finishes the job, and ends where an
// uninterrupted rotation ends. Each case crashes right after one AWS call
// (iamtest.CrashAfter: that call is applied, every later one is lost).
func TestRotateResumesAfterACrash(t *testing.T) {
	t.Parallel()
	pending := map[string]string{"Tags.member.1.Key": keys.PendingTag}
	type point struct {
		day    int
		action string
		match  map[string]string
	}
	cases := map[string][]point{
		"secretsmanager": {
			{0, "TagUser", pending}, {0, "CreateAccessKey", nil}, {0, "CreateSecret", nil}, {0, "UntagUser", nil},
			{90, "TagUser", pending}, {90, "CreateAccessKey", nil}, {90, "PutSecretValue", nil}, {90, "UntagUser", nil},
			{97, "UpdateAccessKey", nil}, {98, "DeleteAccessKey", nil},
		},
		"pgp": {
			{0, "TagUser", pending}, {0, "CreateAccessKey", nil}, {0, "TagUser", map[string]string{"Tags.member.1.Key": keys.DeliveredTag}}, {0, "UntagUser", nil},
			{90, "TagUser", pending}, {90, "CreateAccessKey", nil}, {90, "TagUser", map[string]string{"Tags.member.1.Key": keys.DeliveredTag}}, {90, "UntagUser", nil},
			{97, "UpdateAccessKey", nil}, {98, "DeleteAccessKey", nil},
		},
	}
	for deliver, points := range cases {
		for _, p := range points {
			name := fmt.Sprintf("%s/day %d after %s %v", deliver, p.day, p.action, p.match)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				want, got := newRotateRig(t, deliver), newRotateRig(t, deliver)
				for _, d := range []int{0, 90, 97, 98} {
					if d >= p.day {
						break
					}
					for _, r := range []*rotateRig{want, got} {
						r.setDay(d)
						r.settle(t)
					}
				}
				want.setDay(p.day)
				want.settle(t)
				got.setDay(p.day)
				got.srv.CrashAfter(p.action, p.match, 1)
				crashed := got.rotate(t)
				if !got.srv.Crashed() {
					t.Fatalf("the run never made the call to crash after:\n%s", text(t, crashed))
				}
				got.srv.Recover()
				got.settle(t)
				if diff := cmp.Diff(want.view(t), got.view(t)); diff != "" {
					t.Errorf("after resuming (-want +got):\n%s", diff)
				}
				got.checkSecrets(t)
			})
		}
	}
}

// A pgp key whose publication fails is deleted again in the same run: no
// active key exists whose secret nobody received, the report carries no
// sealed key, and the next run delivers one.
func TestRotatePGPPublishFailureDeletesTheKey(t *testing.T) {
	t.Parallel()
	r := newRotateRig(t, "pgp")
	r.failPublish = true
	res := r.rotate(t)
	if !res.Failed() {
		t.Fatalf("a failed publication did not fail the rotation:\n%s", text(t, res))
	}
	k := res.Environments[0].AccessKeys[0]
	if k.Sealed != nil || !strings.Contains(k.Error, "could not be delivered") {
		t.Errorf("result %+v, want a delivery error and no sealed key", k)
	}
	if v := r.view(t); len(v) != 0 {
		t.Errorf("after the failed publication: %v, want no key and no marker", v)
	}
	r.failPublish = false
	r.settle(t)
	if diff := cmp.Diff([]string{"day 0 Active current"}, r.view(t)); diff != "" {
		t.Errorf("the next run (-want +got):\n%s", diff)
	}
	r.checkSecrets(t)
}

// A service account the plan has yet to create gets no key from a
// rotation: it waits for the reviewed apply.
func TestRotateWaitsForTheServiceAccount(t *testing.T) {
	t.Parallel()
	srv := iamtest.NewServer(t)
	srv.Account(keysAccount).AddRole("roster-apply", policyActions(t, "<!-- roster:apply-policy -->")...)
	base := srv.AWSConfig(iamtest.DefaultAccountID)
	base.Retryer = testRetryer
	repo := keysRepo(t, rotateDay0)
	res := Rotate(context.Background(), repo, repo.Environments, &awsiam.Source{Base: base, Purpose: awsiam.ForApply}, awsiam.Writers(base, awsiam.WriterOptions{}), rotateDay0, apply.Options{})
	e := res.Environments[0]
	if res.Failed() || len(e.AccessKeys) != 0 || !strings.Contains(e.Reason, "ci-deployer waits for the next apply") {
		t.Errorf("result %+v, want nothing done and a reason naming ci-deployer", e)
	}
	if w := srv.Writes(); len(w) != 0 {
		t.Errorf("writes %+v, want none", w)
	}
}

// A delivery that fails (Secrets Manager refuses the write, or the pgp
// message cannot be published) on the first delivery and on a rotation
// leaves no active key whose secret nobody received: the new key is deleted
// in the same run. A runner that dies right after that deletion, before
// clearing the pending mark, is finished by the next run. Either way the
// next runs end where an uninterrupted schedule ends, and no secret
// appears in a report.
func TestRotateDeliveryFailureLeavesNoUndeliveredKey(t *testing.T) {
	t.Parallel()
	for _, deliver := range []string{"secretsmanager", "pgp"} {
		for _, day := range []int{0, 90} {
			for _, crash := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/day %d/crash after the deletion %v", deliver, day, crash), func(t *testing.T) {
					t.Parallel()
					want, got := newRotateRig(t, deliver), newRotateRig(t, deliver)
					if day > 0 {
						want.settle(t)
						got.settle(t)
					}
					before := got.view(t)
					want.setDay(day)
					want.settle(t)
					got.setDay(day)
					switch {
					case got.pgp:
						got.failPublish = true
					case day == 0:
						got.srv.FailNext("CreateSecret", "AccessDenied", 1)
					default:
						got.srv.FailNext("PutSecretValue", "AccessDenied", 1)
					}
					if crash {
						got.srv.CrashAfter("DeleteAccessKey", nil, 1)
					}
					res := got.rotate(t)
					if !res.Failed() {
						t.Fatalf("a failed delivery did not fail the run:\n%s", text(t, res))
					}
					after := got.view(t)
					if crash {
						if !got.srv.Crashed() {
							t.Fatalf("the run never deleted the undelivered key:\n%s", text(t, res))
						}
						// The mark stays until the next run clears it.
						n := len(after)
						if n == 0 || after[n-1] != "pending marker" {
							t.Fatalf("after the crash: %v, want the pending mark left", after)
						}
						after = after[: n-1 : n-1]
						if n == 1 {
							after = nil
						}
					}
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("keys after the failed delivery (-before +after):\n%s", diff)
					}
					got.srv.Recover()
					got.failPublish = false
					got.settle(t)
					if diff := cmp.Diff(want.view(t), got.view(t)); diff != "" {
						t.Errorf("after the next run (-want +got):\n%s", diff)
					}
					got.checkSecrets(t)
				})
			}
		}
	}
}

// A delivery that succeeds but whose answer is lost on every attempt is a
// delivery: a Secrets Manager write (iamtest's DropAfterCommit) leaves the
// secret holding the new key as AWSCURRENT under the version ID roster gave
// it; a pgp record (TagUser of keys.DeliveredTag, scripted
// DroppedAfterCommit) leaves IAM's record naming the key the report
// carries. Either way the key stays and the run ends where an uninterrupted
// run ends. When the check itself (DescribeSecret, ListUserTags) fails too,
// nobody knows whether the destination holds the key: it is deactivated,
// neither active while perhaps undelivered nor deleted while perhaps the
// consumer's, and the pending mark stays; the next run reads the
// destination and ends where an uninterrupted schedule ends, through the
// overlap and the old key's deletion.
func TestRotateLostDeliveryAnswer(t *testing.T) {
	t.Parallel()
	for _, deliver := range []string{"secretsmanager", "pgp"} {
		for _, day := range []int{0, 90} {
			for _, checkFails := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/day %d/the check fails %v", deliver, day, checkFails), func(t *testing.T) {
					t.Parallel()
					want, got := newRotateRig(t, deliver), newRotateRig(t, deliver)
					if day > 0 {
						want.settle(t)
						got.settle(t)
					}
					want.setDay(day)
					want.settle(t)
					got.setDay(day)
					loseDeliveryAnswer(got.srv, deliver, day, checkFails)
					published := len(got.published)
					res := got.rotate(t)
					got.srv.SetFaults(iamtest.Faults{})
					if n, wantN := len(got.published)-published, map[bool]int{true: 1, false: 0}[got.pgp]; n != wantN {
						t.Errorf("%d sealed keys published, want %d", n, wantN)
					}
					if !checkFails {
						if res.Failed() {
							t.Fatalf("a delivery whose answer was lost failed the run:\n%s", text(t, res))
						}
						if diff := cmp.Diff(want.view(t), got.view(t)); diff != "" {
							t.Errorf("after the run (-want +got):\n%s", diff)
						}
						got.checkSecrets(t)
						return
					}
					if !res.Failed() {
						t.Fatalf("a delivery nobody could confirm did not fail the run:\n%s", text(t, res))
					}
					wantNow := []string{fmt.Sprintf("day %d Inactive current", day), "pending marker"}
					if day > 0 {
						wantNow = []string{"day 0 Active previous", "day 90 Inactive current", "pending marker"}
					}
					if diff := cmp.Diff(wantNow, got.view(t)); diff != "" {
						t.Errorf("after the unconfirmed delivery (-want +got):\n%s", diff)
					}
					if k := res.Environments[0].AccessKeys[0]; !strings.Contains(k.Error, "deactivated") {
						t.Errorf("the report says %q, want it to say the key was deactivated", k.Error)
					}
					for _, d := range []int{day, day + 7, day + 8} {
						want.setDay(d)
						want.settle(t)
						got.setDay(d)
						got.settle(t)
						if diff := cmp.Diff(want.view(t), got.view(t)); diff != "" {
							t.Errorf("day %d, the next runs (-want +got):\n%s", d, diff)
						}
					}
					got.checkSecrets(t)
				})
			}
		}
	}
}

// loseDeliveryAnswer makes the delivery's write succeed and its answer be
// lost on every attempt, and with checkFails the check of the destination
// after it fail too.
func loseDeliveryAnswer(srv *iamtest.Server, deliver string, day int, checkFails bool) {
	write, check := "PutSecretValue", "DescribeSecret"
	switch {
	case deliver == "pgp":
		write, check = "TagUser", "ListUserTags"
		srv.FailNextMatching(write, map[string]string{"Tags.member.1.Key": keys.DeliveredTag}, "DroppedAfterCommit", awsiam.MaxAttempts)
	case day == 0:
		write = "CreateSecret"
		fallthrough
	default:
		srv.SetFaults(iamtest.Faults{Drop: 1, DropAfterCommit: true, Actions: []string{write}})
	}
	if checkFails {
		srv.FailAfter(write, check, "Dropped", awsiam.MaxAttempts)
	}
}

// A rotation that needs a person reaches the platform team in the rotate
// run's own report, not only in drift: someone made a second key by hand
// beside the managed one on day 30, so the rotation due on day 90 would need
// a third key. Nothing is written and the run does not fail (nothing
// failed), but every format names the service account, the key made by hand
// (day 30 on) and the blocked rotation (day 90), and the headline says a
// person is needed instead of only that no step was due.
func TestRotateReportsWhatNeedsAPerson(t *testing.T) {
	t.Parallel()
	for _, deliver := range []string{"secretsmanager", "pgp"} {
		t.Run(deliver, func(t *testing.T) {
			t.Parallel()
			r := newRotateRig(t, deliver)
			r.settle(t)
			managed := r.delivered().Current
			r.setDay(30)
			out, err := iam.NewFromConfig(r.srv.AWSConfig(keysAccount)).CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("ci-deployer")})
			if err != nil {
				t.Fatal(err)
			}
			hand := aws.ToString(out.AccessKey.AccessKeyId)
			r.issued[hand] = aws.ToString(out.AccessKey.SecretAccessKey)
			both := []string{managed, hand}
			slices.Sort(both)
			handMade := plan.AccessKeyIssue{Kind: plan.KeyHandMade, KeyID: hand,
				Detail: fmt.Sprintf("key %s (created 2026-02-04) was not made by roster: the destination does not hold it", hand)}
			blocked := plan.AccessKeyIssue{Kind: plan.KeyBlocked,
				Detail: fmt.Sprintf("a new key is needed (key %s is 90 days old (rotate_after_days 90)) but the user already has two keys (%s %s): delete the one not in use", managed, both[0], both[1])}
			destination := map[bool]string{false: "Secrets Manager roster/ci-deployer", true: "PGP message in the apply report"}[r.pgp]
			for _, step := range []struct {
				day  int
				want []plan.AccessKeyIssue
			}{{30, []plan.AccessKeyIssue{handMade}}, {90, []plan.AccessKeyIssue{handMade, blocked}}} {
				r.setDay(step.day)
				writes := len(r.srv.Writes())
				res := r.rotate(t)
				if res.Failed() {
					t.Fatalf("day %d: a rotation that needs a person failed the run:\n%s", step.day, text(t, res))
				}
				if w := r.srv.Writes()[writes:]; len(w) != 0 {
					t.Errorf("day %d: writes %+v, want none", step.day, w)
				}
				want := []apply.KeyResult{{ServiceAccount: "ci-deployer", Destination: destination, Steps: []apply.KeyStepResult{}, Notes: step.want}}
				if diff := cmp.Diff(want, res.Environments[0].AccessKeys); diff != "" {
					t.Errorf("day %d: access key results (-want +got):\n%s", step.day, diff)
				}
				checkReportsName(t, step.day, res, step.want)
				if step.day != 90 {
					continue
				}
				var b bytes.Buffer
				b.WriteString("$ roster rotate\n")
				for _, f := range []func() error{
					func() error { return render.ApplyText(&b, res) },
					func() error { b.WriteString("\n--- job summary ---\n"); return render.ApplySummaryMarkdown(&b, res) },
					func() error { b.WriteString("\n$ roster rotate --format json\n"); return render.ApplyJSON(&b, res) },
				} {
					if err := f(); err != nil {
						t.Fatal(err)
					}
				}
				golden.File(t, "keys-"+deliver+"-blocked.golden", numberKeys(b.Bytes()))
			}
			if v := r.view(t); len(v) != 2 {
				t.Errorf("keys %v, want the managed key and the one made by hand, untouched", v)
			}
			r.checkSecrets(t)
		})
	}
}

// checkReportsName fails unless the text, Markdown and JSON reports of res
// each name every finding of want.
func checkReportsName(t *testing.T, day int, res *apply.Result, want []plan.AccessKeyIssue) {
	t.Helper()
	var md, js bytes.Buffer
	if err := render.ApplySummaryMarkdown(&md, res); err != nil {
		t.Fatal(err)
	}
	if err := render.ApplyJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		for format, has := range map[string]bool{
			"text":     strings.Contains(text(t, res), n.Detail),
			"Markdown": strings.Contains(md.String(), render.EscapeMarkdown(n.Detail)),
			"JSON":     strings.Contains(js.String(), `"kind": "`+n.Kind+`"`),
		} {
			if !has {
				t.Errorf("day %d: the %s report does not name the %s finding", day, format, n.Kind)
			}
		}
	}
}
