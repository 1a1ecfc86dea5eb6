package awsiam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/apply"
	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
	"github.com/roster-dev/roster/internal/plan"
)

// A pgp delivery is complete once IAM holds its record (keys.DeliveredTag
// naming the new key). When TagUser's answer is lost, the record is read
// back: a record IAM applied is a delivery; one it never applied, or
// refused, is a failure (the key is deleted again); when the record cannot
// be read either, nobody knows, and the error matches
// keys.ErrDeliveryUnknown (the key is deactivated, neither deleted nor
// active). The secret appears in no error.
func TestPGPDeliveryChecksALostRecord(t *testing.T) {
	t.Parallel()
	const (
		oldKey = "AKIAOLD0000000000001"
		newKey = "AKIANEW0000000000002"
		secret = "pgp-delivery-secret-never-printed"
	)
	for _, tt := range []struct {
		name       string
		record     string // the scripted fault of the record's TagUser
		checkFails bool
		want       string // "delivered", "failed" or "unknown" (keys.ErrDeliveryUnknown)
		wantTag    string
	}{
		{"answered", "", false, "delivered", newKey + " " + oldKey},
		{"applied, answer lost", "DroppedAfterCommit", false, "delivered", newKey + " " + oldKey},
		{"lost before IAM applied it", "Dropped", false, "failed", oldKey},
		{"refused", "AccessDenied", false, "failed", oldKey},
		{"applied, answer lost, check fails", "DroppedAfterCommit", true, "unknown", newKey + " " + oldKey},
		{"lost before IAM applied it, check fails", "Dropped", true, "unknown", oldKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			s.Account(secretAcct).PutUser(iamtest.User{Name: serviceAccount, Tags: []iamtest.Tag{
				{Key: managedTag, Value: "true"}, {Key: keys.DeliveredTag, Value: oldKey}}})
			s.Account(secretAcct).AddRole("roster-apply", slices.Concat(AccessKeyPermissions, []string{"iam:TagUser"})...)
			a := connectTo(t, s, secretAcct, "roster-apply")
			ak := NewAccessKeys(a)
			ak.c = iam.NewFromConfig(a.Config(), func(o *iam.Options) { o.RetryMaxAttempts = 1 })
			pk, err := encryptionKey(testKey(t).Armored, "")
			if err != nil {
				t.Fatal(err)
			}
			var published []string
			publish := func(_ context.Context, k apply.SealedKey) error {
				published = append(published, k.KeyID)
				return nil
			}
			deliver := ak.pgpDelivery(a.Env, plan.AccessKey{ServiceAccount: serviceAccount, Delivered: keys.Delivered{Current: oldKey}}, pk, publish)
			if tt.record != "" {
				s.FailNextMatching("TagUser", map[string]string{"Tags.member.1.Key": keys.DeliveredTag}, tt.record, 1)
			}
			if tt.checkFails {
				s.FailAfter("TagUser", "ListUserTags", "Dropped", 1)
			}
			err = deliver(context.Background(), newKey, keys.NewSecret(secret))
			got := "delivered"
			switch {
			case errors.Is(err, keys.ErrDeliveryUnknown):
				got = "unknown"
			case err != nil:
				got = "failed"
			}
			if got != tt.want {
				t.Errorf("delivery %s (%v), want %s", got, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			if diff := cmp.Diff([]string{newKey}, published); diff != "" {
				t.Errorf("published (-want +got):\n%s", diff)
			}
			u, _ := s.Account(secretAcct).User(serviceAccount)
			var record string
			for _, tag := range u.Tags {
				if tag.Key == keys.DeliveredTag {
					record = tag.Value
				}
			}
			if diff := cmp.Diff(tt.wantTag, record); diff != "" {
				t.Errorf("delivery record (-want +got):\n%s", diff)
			}
		})
	}
}
