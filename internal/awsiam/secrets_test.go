package awsiam

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/go-cmp/cmp"

	"github.com/roster-dev/roster/internal/iamtest"
	"github.com/roster-dev/roster/internal/keys"
)

const (
	secretAcct = "210987654321"
	keyOne     = "AKIAIOSFODNN7EXAMPLE"
	keyTwo     = "AKIAI44QH8DHBEXAMPLE"
	// secretOne and secretTwo are the parts no error, log or record may show.
	secretOne = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRETone"
	secretTwo = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbzzSECRETtwo"
)

// secretsOn returns the adapter acting through a role allowed exactly
// allow, with the SDK making at most attempts attempts per call.
func secretsOn(t *testing.T, s *iamtest.Server, allow []string, attempts int) *Secrets {
	t.Helper()
	s.Account(secretAcct).AddRole("roster-apply", allow...)
	a := connectTo(t, s, secretAcct, "roster-apply")
	sec := NewSecrets(a)
	sec.c = secretsmanager.NewFromConfig(a.Config(), func(o *secretsmanager.Options) { o.RetryMaxAttempts = attempts })
	return sec
}

func TestDeliverAccessKeyCreatesTheSecretThenAddsVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := iamtest.NewServer(t)
	sec := secretsOn(t, s, SecretsWritePermissions, 1)

	d, err := sec.Delivered(ctx, "roster/ci", managedTag)
	if err != nil || d != (keys.Delivered{}) {
		t.Fatalf("Delivered of a missing secret = %+v, %v; want nothing and no error", d, err)
	}
	for _, k := range []struct{ id, secret string }{{keyOne, secretOne}, {keyTwo, secretTwo}, {keyTwo, secretTwo}} {
		if err := sec.DeliverAccessKey(ctx, "roster/ci", managedTag, k.id, k.secret); err != nil {
			t.Fatalf("DeliverAccessKey %s: %v", k.id, err)
		}
	}
	d, err = sec.Delivered(ctx, "roster/ci", managedTag)
	if diff := cmp.Diff(keys.Delivered{Current: keyTwo, Previous: keyOne}, d); err != nil || diff != "" {
		t.Errorf("Delivered after a rotation: %v (-want +got):\n%s", err, diff)
	}

	got, _ := s.Secret(secretAcct, "us-east-1", "roster/ci")
	type version struct{ ID, Value, Stages string }
	var versions []version
	for _, v := range got.Versions {
		versions = append(versions, version{v.ID, v.String, strings.Join(v.Stages, ",")})
	}
	want := []version{
		{"roster-access-key-" + keyOne, `{"AccessKeyId":"` + keyOne + `","SecretAccessKey":"` + secretOne + `"}`, "AWSPREVIOUS"},
		{"roster-access-key-" + keyTwo, `{"AccessKeyId":"` + keyTwo + `","SecretAccessKey":"` + secretTwo + `"}`, "AWSCURRENT"},
	}
	if diff := cmp.Diff(want, versions); diff != "" {
		t.Errorf("secret versions (the repeated delivery adds none) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]iamtest.Tag{{Key: managedTag, Value: "true"}}, got.Tags); diff != "" {
		t.Errorf("secret tags (-want +got):\n%s", diff)
	}
	var calls []string
	for _, w := range s.Writes() {
		calls = append(calls, w.Action)
	}
	if diff := cmp.Diff([]string{"CreateSecret", "PutSecretValue", "PutSecretValue"}, calls); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if n := s.CallCount(secretAcct, "GetSecretValue"); n != 0 {
		t.Errorf("GetSecretValue called %d times: roster must never read a secret's value", n)
	}
}

func TestASecretWithoutTheOwnershipTagIsNeverWritten(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tags := range [][]iamtest.Tag{nil, {{Key: managedTag, Value: "false"}}, {{Key: "team", Value: "payments"}}} {
		t.Run(fmt.Sprint(tags), func(t *testing.T) {
			t.Parallel()
			s := iamtest.NewServer(t)
			seeded := s.PutSecret(secretAcct, "us-east-1", iamtest.Secret{Name: "roster/ci", Tags: tags,
				Versions: []iamtest.SecretVersion{{String: "somebody else's", Stages: []string{"AWSCURRENT"}}}})
			sec := secretsOn(t, s, SecretsWritePermissions, 1)

			err := sec.DeliverAccessKey(ctx, "roster/ci", managedTag, keyOne, secretOne)
			var notOwned *SecretNotOwnedError
			if !errors.As(err, &notOwned) {
				t.Fatalf("DeliverAccessKey = %v, want *SecretNotOwnedError", err)
			}
			want := "environment env-2109: secret roster/ci exists but is not tagged roster:managed=true, so roster does not overwrite it: choose another secret_name, or tag the secret roster:managed=true if roster should own it"
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if _, err := sec.Delivered(ctx, "roster/ci", managedTag); !errors.As(err, &notOwned) {
				t.Errorf("Delivered = %v, want *SecretNotOwnedError so that no key is created", err)
			}
			if w := s.Writes(); len(w) != 0 {
				t.Errorf("writes to a secret roster does not own: %+v", w)
			}
			got, _ := s.Secret(secretAcct, "us-east-1", "roster/ci")
			if diff := cmp.Diff(seeded, got); diff != "" {
				t.Errorf("secret changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeliveryNeedsEachDocumentedPermission(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// deliverTwice runs a first delivery and a rotation and returns the
	// first error.
	deliverTwice := func(sec *Secrets) error {
		if err := sec.DeliverAccessKey(ctx, "roster/ci", managedTag, keyOne, secretOne); err != nil {
			return err
		}
		if _, err := sec.Delivered(ctx, "roster/ci", managedTag); err != nil {
			return err
		}
		return sec.DeliverAccessKey(ctx, "roster/ci", managedTag, keyTwo, secretTwo)
	}
	if err := deliverTwice(secretsOn(t, iamtest.NewServer(t), SecretsWritePermissions, 1)); err != nil {
		t.Fatalf("with SecretsWritePermissions: %v", err)
	}
	for _, missing := range SecretsWritePermissions {
		t.Run(missing, func(t *testing.T) {
			t.Parallel()
			allow := slices.DeleteFunc(slices.Clone(SecretsWritePermissions), func(p string) bool { return p == missing })
			err := deliverTwice(secretsOn(t, iamtest.NewServer(t), allow, 1))
			var denied *AccessDeniedError
			if !errors.As(err, &denied) || denied.Action != missing {
				t.Errorf("without %s: %v, want an AccessDeniedError naming it", missing, err)
			}
		})
	}
	t.Run("reading needs only SecretsReadPermissions", func(t *testing.T) {
		t.Parallel()
		s := iamtest.NewServer(t)
		s.PutSecret(secretAcct, "us-east-1", iamtest.Secret{Name: "roster/ci", Tags: []iamtest.Tag{{Key: managedTag, Value: "true"}},
			Versions: []iamtest.SecretVersion{{ID: "roster-access-key-" + keyOne, String: "x", Stages: []string{"AWSCURRENT"}}}})
		d, err := secretsOn(t, s, SecretsReadPermissions, 1).Delivered(ctx, "roster/ci", managedTag)
		if err != nil || d.Current != keyOne {
			t.Errorf("Delivered with SecretsReadPermissions = %+v, %v", d, err)
		}
	})
}

func TestDeliveredIgnoresValuesRosterDidNotWrite(t *testing.T) {
	t.Parallel()
	s := iamtest.NewServer(t)
	s.PutSecret(secretAcct, "us-east-1", iamtest.Secret{Name: "roster/ci", Tags: []iamtest.Tag{{Key: managedTag, Value: "true"}},
		Versions: []iamtest.SecretVersion{
			{ID: "roster-access-key-" + keyOne, String: "x", Stages: []string{"AWSPREVIOUS"}},
			{ID: "6f0c1f0e-3f43-4f4e-9a38-8d3f8c0a3a11", String: "put by hand", Stages: []string{"AWSCURRENT"}},
		}})
	d, err := secretsOn(t, s, SecretsReadPermissions, 1).Delivered(context.Background(), "roster/ci", managedTag)
	if diff := cmp.Diff(keys.Delivered{Previous: keyOne}, d); err != nil || diff != "" {
		t.Errorf("Delivered: %v (-want +got):\n%s", err, diff)
	}
}

// TestTheSecretNeverAppearsInAnError fails every call of a delivery in turn,
// in every way AWS can, and searches each error for the secret.
func TestTheSecretNeverAppearsInAnError(t *testing.T) {
	t.Parallel()
	codes := []string{"InternalServiceError", "ThrottlingException", "Dropped", "AccessDeniedException",
		"LimitExceededException", "InvalidRequestException", "InvalidParameterException", "EncryptionFailure", "ResourceExistsException"}
	for _, existing := range []bool{false, true} {
		for _, op := range []string{"DescribeSecret", "CreateSecret", "PutSecretValue"} {
			for _, code := range codes {
				if op == "CreateSecret" && existing || op == "PutSecretValue" && !existing && code != "ResourceExistsException" {
					continue // the call is not made in that case
				}
				t.Run(fmt.Sprintf("existing=%v/%s/%s", existing, op, code), func(t *testing.T) {
					t.Parallel()
					s := iamtest.NewServer(t)
					if existing {
						s.PutSecret(secretAcct, "us-east-1", iamtest.Secret{Name: "roster/ci", Tags: []iamtest.Tag{{Key: managedTag, Value: "true"}}})
					}
					sec := secretsOn(t, s, SecretsWritePermissions, 2)
					s.FailNext(op, code, 2)
					if op == "PutSecretValue" && !existing {
						// A secret created meanwhile by someone else.
						s.FailNext("CreateSecret", "ResourceExistsException", 1)
					}
					err := sec.DeliverAccessKey(context.Background(), "roster/ci", managedTag, keyOne, secretOne)
					if err == nil {
						t.Fatal("delivery succeeded although every attempt failed")
					}
					for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
						if strings.Contains(text, secretOne) || strings.Contains(text, secretOne[:16]) {
							t.Errorf("the secret is in the error: %s", text)
						}
					}
					if !strings.Contains(err.Error(), "roster/ci") && !strings.Contains(err.Error(), "secretsmanager:") {
						t.Errorf("the error names neither the secret nor the missing permission: %v", err)
					}
				})
			}
		}
	}
}

func TestSecretVersionID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		keyID, want, wantErr string
	}{
		{keyOne, "roster-access-key-" + keyOne, ""},
		{"AKIA1", "", `access key ID "AKIA1" does not make a Secrets Manager version ID (32 to 64 printable characters)`},
		{"AKIA" + strings.Repeat("X", 60), "", `access key ID "AKIA` + strings.Repeat("X", 60) + `" does not make a Secrets Manager version ID (32 to 64 printable characters)`},
		{"AKIA IOSFODNN7EXAMPLE", "", `access key ID "AKIA IOSFODNN7EXAMPLE" does not make a Secrets Manager version ID (32 to 64 printable characters)`},
	}
	for _, tt := range tests {
		got, err := SecretVersionID(tt.keyID)
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if diff := cmp.Diff([]string{tt.want, tt.wantErr}, []string{got, errText}); diff != "" {
			t.Errorf("SecretVersionID(%q) (-want +got):\n%s", tt.keyID, diff)
		}
		if err == nil && keyIDOfVersion(got) != tt.keyID {
			t.Errorf("keyIDOfVersion(%q) = %q, want %q", got, keyIDOfVersion(got), tt.keyID)
		}
	}
}
