/**
 * Whether this speaker serves a Service, by the controller's rule (`requestOf` in
 * controller/src/reconciler/service-view.ts): `type: LoadBalancer` and `spec.loadBalancerClass` either unset or
 * equal to the configured class. A Service without a class is served whatever `--load-balancer-class` says,
 * exactly as the controller allocates it: announcing only what the controller would allocate keeps the two from
 * ever disagreeing about whose an IP is.
 */
export function servesService(
  spec: { readonly type?: string; readonly loadBalancerClass?: string } | undefined,
  loadBalancerClass: string | undefined,
): boolean {
  if (spec?.type !== 'LoadBalancer') return false;
  const cls = spec.loadBalancerClass;
  return cls === undefined || cls === loadBalancerClass;
}
