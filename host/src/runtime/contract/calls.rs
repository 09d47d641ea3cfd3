//! The calls every contract version makes the same way, written once: `version_calls!()`
//! expands inside a version's module (after its `bindgen!`), over that version's generated types
//! (`wit`, `MallConnectorPre`) and its conversions (`plugin_info`, `error`, `date_to`,
//! `source_to`). Where versions differ, the module gives three functions the calls use:
//! `returned_page` (a fetched page in the host's types, within the return limit),
//! `returned_orders` (mapped records, each checked) and `state_of` (an order's state).

/// Expands the version's `add_to_linker`, `info`, `fetch_orders`, `map_orders`, `take_orders`,
/// `push_shipments` and `order_states`.
macro_rules! version_calls {
    () => {
        /// Adds this version's host interface to `linker`.
        pub(super) fn add_to_linker(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
            MallConnector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
        }

        pub(super) async fn info(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
        ) -> wasmtime::Result<Result<c::PluginInfo, Returned>> {
            let i = pre.instantiate_async(&mut *store).await?;
            let info = i.mallhost_connector_connector().call_info(store).await?;
            Ok(plugin_info(info).map_err(Returned::Malformed))
        }

        pub(super) async fn fetch_orders(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
            ctx: CallContext<'_>,
            window: c::Window,
            cursor: Option<&str>,
            max_return: usize,
        ) -> wasmtime::Result<Result<c::FetchPage, Returned>> {
            let settings = settings(&ctx);
            let i = pre.instantiate_async(&mut *store).await?;
            let req = wit::FetchRequest {
                window: wit::Window {
                    start: window.start.timestamp(),
                    end: window.end.timestamp(),
                },
                cursor,
            };
            let page = i
                .mallhost_connector_connector()
                .call_fetch_orders(store, context(&ctx, &settings), req)
                .await?;
            Ok(page
                .map_err(|e| Returned::Connector(error(e)))
                .and_then(|p| returned_page(p, max_return)))
        }

        pub(super) async fn map_orders(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
            ctx: CallContext<'_>,
            raws: &[c::RawOrder],
            max_return: usize,
        ) -> wasmtime::Result<Result<Vec<Result<m::Order, Returned>>, Returned>> {
            let settings = settings(&ctx);
            let wit: Vec<_> = raws
                .iter()
                .map(|r| wit::RawOrder {
                    mall_order_number: &r.mall_order_number,
                    source: source_to(r.source),
                    body: &r.body,
                })
                .collect();
            let i = pre.instantiate_async(&mut *store).await?;
            let outcome = i
                .mallhost_connector_connector()
                .call_map_orders(store, context(&ctx, &settings), &wit)
                .await?;
            Ok(returned_orders(outcome, raws.len(), max_return))
        }

        pub(super) async fn take_orders(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
            ctx: CallContext<'_>,
            numbers: &[String],
        ) -> wasmtime::Result<Result<BatchResults<c::TakeOutcome>, Returned>> {
            let settings = settings(&ctx);
            let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
            let i = pre.instantiate_async(&mut *store).await?;
            let r = i
                .mallhost_connector_connector()
                .call_take_orders(store, context(&ctx, &settings), &numbers_ref)
                .await?;
            Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
                r.into_iter()
                    .map(|r| {
                        let outcome = match r.outcome {
                            Ok(wit::TakeOutcome::Taken) => Ok(c::TakeOutcome::Taken),
                            Ok(wit::TakeOutcome::AlreadyTaken) => Ok(c::TakeOutcome::AlreadyTaken),
                            Ok(wit::TakeOutcome::Cancelled(m)) => Ok(c::TakeOutcome::Cancelled(
                                super::plugin_text(&m, super::MAX_PLUGIN_TEXT),
                            )),
                            Err(e) => Err(error(e)),
                        };
                        (r.mall_order_number, outcome)
                    })
                    .collect()
            }))
        }

        pub(super) async fn push_shipments(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
            ctx: CallContext<'_>,
            shipments: &[c::Shipment],
        ) -> wasmtime::Result<Result<BatchResults<()>, Returned>> {
            let settings = settings(&ctx);
            let parcels: Vec<Vec<Vec<wit::Parcel<'_>>>> = shipments
                .iter()
                .map(|s| {
                    s.deliveries
                        .iter()
                        .map(|d| {
                            d.parcels
                                .iter()
                                .map(|p| wit::Parcel {
                                    carrier_id: &p.carrier_id,
                                    tracking_number: &p.tracking_number,
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect();
            let deliveries: Vec<Vec<wit::DeliveryShipment<'_>>> = shipments
                .iter()
                .zip(&parcels)
                .map(|(s, ps)| {
                    s.deliveries
                        .iter()
                        .zip(ps)
                        .map(|(d, p)| wit::DeliveryShipment {
                            delivery_no: d.delivery_no,
                            mall_delivery_id: d.mall_delivery_id.as_deref(),
                            parcels: p,
                        })
                        .collect()
                })
                .collect();
            let wit: Vec<_> = shipments
                .iter()
                .zip(&deliveries)
                .map(|(s, d)| wit::Shipment {
                    mall_order_number: &s.mall_order_number,
                    shipped_date: date_to(s.shipped_date),
                    deliveries: d,
                })
                .collect();
            let i = pre.instantiate_async(&mut *store).await?;
            let r = i
                .mallhost_connector_connector()
                .call_push_shipments(store, context(&ctx, &settings), &wit)
                .await?;
            Ok(
                check_count("shipments", r.len(), shipments.len()).map(|()| {
                    r.into_iter()
                        .map(|r| (r.mall_order_number, r.outcome.map_err(error)))
                        .collect()
                }),
            )
        }

        pub(super) async fn order_states(
            pre: &MallConnectorPre<PluginState>,
            store: &mut Store<PluginState>,
            ctx: CallContext<'_>,
            numbers: &[String],
        ) -> wasmtime::Result<Result<BatchResults<c::OrderState>, Returned>> {
            let settings = settings(&ctx);
            let numbers_ref: Vec<&str> = numbers.iter().map(String::as_str).collect();
            let i = pre.instantiate_async(&mut *store).await?;
            let r = i
                .mallhost_connector_connector()
                .call_order_states(store, context(&ctx, &settings), &numbers_ref)
                .await?;
            Ok(check_count("orders", r.len(), numbers.len()).map(|()| {
                r.into_iter()
                    .map(|r| {
                        let state = r.state.map_err(error).map(state_of);
                        (r.mall_order_number, state)
                    })
                    .collect()
            }))
        }

        /// The shop's plain settings as the call context carries them.
        fn settings<'a>(ctx: &CallContext<'a>) -> Vec<(&'a str, &'a str)> {
            ctx.settings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect()
        }

        fn context<'a>(
            ctx: &CallContext<'a>,
            settings: &'a [(&'a str, &'a str)],
        ) -> wit::CallContext<'a> {
            wit::CallContext {
                shop_id: ctx.shop_id,
                base_url: ctx.base_url,
                settings,
            }
        }
    };
}
