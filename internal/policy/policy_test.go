package policy_test

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/roster-dev/roster/internal/policy"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{
			name: "keys sorted and whitespace removed",
			doc: `{
				"Version": "2012-10-17",
				"Statement": [{"Resource": "*", "Effect": "Allow", "Action": "s3:ListAllMyBuckets"}]
			}`,
			want: `{"Statement":[{"Action":"s3:ListAllMyBuckets","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "one-element action and resource lists become strings",
			doc:  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`,
			want: `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::b/*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "longer lists keep their order",
			doc:  `{"Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"NotResource":["b","a"]}]}`,
			want: `{"Statement":[{"Action":["s3:PutObject","s3:GetObject"],"Effect":"Allow","NotResource":["b","a"]}]}`,
		},
		{
			name: "single statement object becomes a list",
			doc:  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["iam:*"],"Resource":"*"}}`,
			want: `{"Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "condition values collapse, condition keys sorted",
			doc:  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"b:k":["x"],"a:k":["y","z"]},"Bool":{"aws:MultiFactorAuthPresent":[true]}}}]}`,
			want: `{"Statement":[{"Action":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true},"StringEquals":{"a:k":["y","z"],"b:k":"x"}},"Effect":"Allow","Resource":"*"}]}`,
		},
		{
			name: "URL-encoded as IAM returns it",
			doc:  `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3A*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D`,
			want: `{"Statement":[{"Action":"s3:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		},
		{
			name: "URL-encoded with spaces and newlines",
			doc:  `%7B%0A%20%20%22Statement%22%3A%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%5B%22ec2%3ADescribe*%22%5D%2C%20%22Resource%22%3A%20%22*%22%7D%0A%7D`,
			want: `{"Statement":[{"Action":"ec2:Describe*","Effect":"Allow","Resource":"*"}]}`,
		},
		{
			name: "plain JSON holding percent signs is not decoded",
			doc:  `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/100%25"}]}`,
			want: `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::b/100%25"}]}`,
		},
		{
			name: "no HTML escaping",
			doc:  `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<a&b>"}]}`,
			want: `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::b/<a&b>"}]}`,
		},
		{
			name: "numbers written one way",
			doc:  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":[10.0]},"NumericEquals":{"x:y":[1.5e1, 0.25]}}}]}`,
			want: `{"Statement":[{"Action":"*","Condition":{"NumericEquals":{"x:y":[15,0.25]},"NumericLessThan":{"s3:max-keys":10}},"Effect":"Allow","Resource":"*"}]}`,
		},
		{
			name: "other lists are not collapsed",
			doc:  `{"Id":"x","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Other":["a"]}]}`,
			want: `{"Id":"x","Statement":[{"Action":"*","Effect":"Allow","Other":["a"],"Resource":"*"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := policy.Canonical(tt.doc)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Canonical (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalErrors(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		``,
		`{"Statement":`,
		`{} {}`,
		`%7B%22Statement%22`,
		`%zz`,
		`not a policy`,
	} {
		t.Run(doc, func(t *testing.T) {
			t.Parallel()
			if got, err := policy.Canonical(doc); err == nil {
				t.Errorf("Canonical(%q) = %q, want an error", doc, got)
			}
		})
	}
}

// TestCanonicalValueYAML decodes documents the way the manifest loader does
// and checks that they compare equal to the JSON IAM returns.
func TestCanonicalValueYAML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		iam  string
	}{
		{
			name: "flow style with unquoted version date",
			yaml: `{ Version: 2012-10-17, Statement: [{Effect: Deny, Action: "aws-portal:*", Resource: "*"}] }`,
			iam:  `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":["aws-portal:*"],"Resource":["*"]}}`,
		},
		{
			name: "block style with quoted version and condition",
			yaml: `
Version: "2012-10-17"
Statement:
  - Sid: DenyWithoutMFA
    Effect: Deny
    NotAction: [iam:ChangePassword, sts:GetSessionToken]
    Resource: "*"
    Condition:
      BoolIfExists: { aws:MultiFactorAuthPresent: false }
      NumericLessThan: { aws:MultiFactorAuthAge: 3600 }
`,
			iam: `%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22DenyWithoutMFA%22%2C%22Effect%22%3A%22Deny%22%2C%22NotAction%22%3A%5B%22iam%3AChangePassword%22%2C%22sts%3AGetSessionToken%22%5D%2C%22Resource%22%3A%22*%22%2C%22Condition%22%3A%7B%22BoolIfExists%22%3A%7B%22aws%3AMultiFactorAuthPresent%22%3A%5Bfalse%5D%7D%2C%22NumericLessThan%22%3A%7B%22aws%3AMultiFactorAuthAge%22%3A3600%7D%7D%7D%5D%7D`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v any
			if err := yaml.Unmarshal([]byte(tt.yaml), &v); err != nil {
				t.Fatal(err)
			}
			got, err := policy.CanonicalValue(v)
			if err != nil {
				t.Fatalf("CanonicalValue: %v", err)
			}
			want, err := policy.Canonical(tt.iam)
			if err != nil {
				t.Fatalf("Canonical: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("YAML and IAM forms differ (-iam +yaml):\n%s", diff)
			}
		})
	}
}

func TestCanonicalValueGoValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  any
		want string
	}{
		{
			name: "yaml date becomes the date string",
			doc:  map[string]any{"Version": time.Date(2012, 10, 17, 0, 0, 0, 0, time.UTC)},
			want: `{"Version":"2012-10-17"}`,
		},
		{
			name: "yaml timestamp with a time keeps it",
			doc:  map[string]any{"x": time.Date(2012, 10, 17, 1, 2, 3, 0, time.UTC)},
			want: `{"x":"2012-10-17T01:02:03Z"}`,
		},
		{
			name: "non-string keys become strings",
			doc:  map[any]any{"a": map[any]any{1: true, false: nil, 2.5: uint8(3)}},
			want: `{"a":{"1":true,"2.5":3,"false":null}}`,
		},
		{
			name: "integer kinds and floats",
			doc:  []any{int64(-7), uint64(18446744073709551615), 2.0, float32(0.5), 1e300},
			want: `[-7,18446744073709551615,2,0.5,1e+300]`,
		},
		{
			name: "typed slices and maps",
			doc:  map[string]any{"Statement": map[string]any{"Action": []string{"s3:*"}, "Tags": map[string]string{"a": "b"}}},
			want: `{"Statement":[{"Action":"s3:*","Tags":{"a":"b"}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := policy.CanonicalValue(tt.doc)
			if err != nil {
				t.Fatalf("CanonicalValue: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CanonicalValue (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanonicalValueErrors(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]any{
		"channel":   map[string]any{"x": make(chan int)},
		"struct":    struct{}{},
		"nan":       []any{math.NaN()},
		"slice key": map[any]any{"a": map[any]any{struct{}{}: 1}},
		"dup key":   map[any]any{1: "a", "1": "b"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := policy.CanonicalValue(doc); err == nil {
				t.Errorf("CanonicalValue = %q, want an error", got)
			}
		})
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want int
	}{
		{``, 0},
		{`{"a":"b"}`, 9},
		{`{"a":"b c"}`, 11},
		{`{"a":"\" \\"}`, 13},
		{`{"a":"é€😀"}`, 11},
		{" {\n\t\"a\" : 1 }\r\n", 7},
	}
	for _, tt := range tests {
		if got := policy.Size(tt.doc); got != tt.want {
			t.Errorf("Size(%q) = %d, want %d", tt.doc, got, tt.want)
		}
	}
}
