// Package admission runs, in-process, what Tekton's and Triggers' admission webhooks run on every
// object: decode with unknown fields rejected, SetDefaults, Validate, in the webhooks' contexts with
// the feature flags and defaults at their release values. The webhooks themselves cannot be wired to
// a loopback API server (they need a Service and a certificate for its DNS name).
package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	pipelinev1 "github.com/tektoncd/pipeline/pkg/apis/pipeline/v1"
	"github.com/tektoncd/triggers/pkg/apis/triggers/contexts"
	triggersv1alpha1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1alpha1"
	triggersv1beta1 "github.com/tektoncd/triggers/pkg/apis/triggers/v1beta1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	"knative.dev/pkg/webhook/resourcesemantics"
)

type webhook struct {
	name    string
	context func(context.Context) context.Context
}

var (
	tekton   = webhook{"Tekton Pipelines", func(ctx context.Context) context.Context { return ctx }}
	triggers = webhook{"Tekton Triggers", contexts.WithUpgradeViaDefaulting}
)

// The kinds each webhook admits (the `types` maps of their cmd/webhook, for the versions the library writes).
var kinds = map[schema.GroupVersionKind]struct {
	hook webhook
	obj  resourcesemantics.GenericCRD
}{
	pipelinev1.SchemeGroupVersion.WithKind("Task"):                       {tekton, &pipelinev1.Task{}},
	pipelinev1.SchemeGroupVersion.WithKind("Pipeline"):                   {tekton, &pipelinev1.Pipeline{}},
	pipelinev1.SchemeGroupVersion.WithKind("TaskRun"):                    {tekton, &pipelinev1.TaskRun{}},
	pipelinev1.SchemeGroupVersion.WithKind("PipelineRun"):                {tekton, &pipelinev1.PipelineRun{}},
	triggersv1beta1.SchemeGroupVersion.WithKind("EventListener"):         {triggers, &triggersv1beta1.EventListener{}},
	triggersv1beta1.SchemeGroupVersion.WithKind("TriggerBinding"):        {triggers, &triggersv1beta1.TriggerBinding{}},
	triggersv1beta1.SchemeGroupVersion.WithKind("ClusterTriggerBinding"): {triggers, &triggersv1beta1.ClusterTriggerBinding{}},
	triggersv1beta1.SchemeGroupVersion.WithKind("TriggerTemplate"):       {triggers, &triggersv1beta1.TriggerTemplate{}},
	triggersv1beta1.SchemeGroupVersion.WithKind("Trigger"):               {triggers, &triggersv1beta1.Trigger{}},
	triggersv1alpha1.SchemeGroupVersion.WithKind("ClusterInterceptor"):   {triggers, &triggersv1alpha1.ClusterInterceptor{}},
	triggersv1alpha1.SchemeGroupVersion.WithKind("Interceptor"):          {triggers, &triggersv1alpha1.Interceptor{}},
}

// Applies reports whether a webhook of Tekton or Triggers admits objects of this kind.
func Applies(o *unstructured.Unstructured) bool {
	_, ok := kinds[o.GroupVersionKind()]
	return ok
}

// Admit runs the webhook's defaulting and validation for a create of o. It returns nil for kinds no
// webhook of Tekton or Triggers admits.
func Admit(o *unstructured.Unstructured) error {
	k, ok := kinds[o.GroupVersionKind()]
	if !ok {
		return nil
	}
	if o.GetName() == "" && o.GetGenerateName() != "" {
		// the API server names the object before its webhooks see it
		o = o.DeepCopy()
		o.SetName(o.GetGenerateName() + "x7k2p")
	}
	raw, err := json.Marshal(o.Object)
	if err != nil {
		return err
	}
	obj := reflect.New(reflect.TypeOf(k.obj).Elem()).Interface().(resourcesemantics.GenericCRD)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return fmt.Errorf("%s webhook rejects %s: decode: %w", k.hook.name, key(o), err)
	}
	ctx := apis.WithinCreate(k.hook.context(context.Background()))
	obj.SetDefaults(ctx)
	if err := obj.Validate(ctx); err != nil {
		return fmt.Errorf("%s webhook rejects %s: %s", k.hook.name, key(o), err.Error())
	}
	return nil
}

func key(o *unstructured.Unstructured) string {
	return o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}
