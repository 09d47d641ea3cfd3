//! The export rules of the manual (データ書出): an order is sent to the mall only when its status
//! is not 新規受付, 保留 or キャンセル and all four conditions hold — last updated inside the
//! export period (the candidate query), a ship date today or earlier (JST), a tracking number
//! (伝票番号), a carrier (配送業者) — and the carrier has the mall's id (配送業者ID設定).
//! Besides: the mall must have been told the host handles the order (taken), and a shipment
//! already accepted or refused with the same data is not sent again.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::connector::{DeliveryShipment, Parcel, Shipment};
use crate::model::{OrderStatus, TakeState};
use crate::store::{ExportCandidate, PushOutcome};

/// Why an order is left out of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Exclusion {
    /// Its status is never exported.
    #[error("status {} ({}) is not exported{}", .status.id(), .status.label(), .hold_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    Status {
        /// The status.
        status: OrderStatus,
        /// Why on hold, if on hold.
        hold_reason: Option<String>,
    },
    /// The buyer has not paid (the mall says so; the status sync reads it paid).
    #[error("not paid yet (未入金): exported once the mall says the buyer has paid")]
    Unpaid,
    /// The mall takes one carrier per order, and the order's parcels name several.
    #[error(
        "this mall takes one carrier per order, and this order's parcels name {}: ship every \
         parcel with one carrier",
        .carriers.join(", ")
    )]
    MixedCarriers {
        /// The mall's carrier ids named.
        carriers: Vec<String>,
    },
    /// The mall has not acknowledged it yet.
    #[error("not yet taken on the mall (a take is pending; the next fetch retries it)")]
    NotTaken,
    /// No ship date.
    #[error("no ship date set (set one with `orders ship`)")]
    NoShipDate,
    /// Ship date in the future.
    #[error("ship date {date} is in the future (exported from that day on)")]
    FutureShipDate {
        /// The date.
        date: NaiveDate,
    },
    /// No tracking number.
    #[error(
        "no tracking number (伝票番号) set; set one with `orders ship --tracking`, or `--dummy` for untracked mail"
    )]
    NoTracking,
    /// No carrier.
    #[error("no carrier (配送業者) selected")]
    NoCarrier,
    /// The carrier has no mall id.
    #[error(
        "carrier {carrier:?} has no carrier id for this mall (配送業者ID設定): add it under the shop's `carrier_ids` in the config"
    )]
    NoCarrierId {
        /// The carrier.
        carrier: String,
    },
    /// A multi-delivery order with deliveries lacking a tracking number.
    #[error("複数配送: delivery {} has no tracking number; set one per delivery with `orders ship --delivery N`", .deliveries.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))]
    DeliveriesUntracked {
        /// The deliveries without one.
        deliveries: Vec<u32>,
    },
    /// A delivery has more parcels than the mall takes.
    #[error(
        "delivery {delivery} has {parcels} parcels; this mall takes at most {max} per delivery \
         (remove the extra tracking numbers, or ship them as one)"
    )]
    TooManyParcels {
        /// The delivery.
        delivery: u32,
        /// Its parcels.
        parcels: usize,
        /// The mall's maximum.
        max: u32,
    },
    /// Already accepted by the mall with this data.
    #[error("already exported with this carrier and tracking number")]
    AlreadyExported,
    /// Being sent right now by another export (its claim on the push is live), or accepted
    /// since this export read the order.
    #[error("being sent by another export, or sent since this one started; nothing sent twice")]
    ClaimedElsewhere,
    /// The mall refused this data before.
    #[error(
        "the mall refused this shipment before ({message}); change the tracking data to send it again"
    )]
    RejectedBefore {
        /// The mall's reason.
        message: String,
    },
}

/// How a shop's export judges: the operator's choice and what the mall can take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rules {
    /// Send again what the mall refused before, with unchanged data.
    pub retry_rejected: bool,
    /// The mall registers shipping per delivery: every delivery's parcels are sent.
    pub shipping_per_delivery: bool,
    /// Most parcels the mall takes per delivery (per order when not per delivery); 0 counts
    /// as 1.
    pub max_parcels: u32,
    /// The mall takes one carrier per order.
    pub one_carrier_per_order: bool,
}

/// What an eligible order sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligible {
    /// The order's row id.
    pub order_id: i64,
    /// The merchant's carrier.
    pub carrier: String,
    /// The shipment's data as one key ([`Shipment::data_key`]).
    pub data_key: String,
    /// The shipment for the mall.
    pub shipment: Shipment,
    /// This same data was sent before and the answer was lost (outcome unknown): the mall may
    /// have it, so it is looked up before it is sent again.
    pub after_unknown: bool,
}

/// Applies the rules to one candidate.
pub fn judge(
    c: &ExportCandidate,
    today: NaiveDate,
    carrier_ids: &BTreeMap<String, String>,
    rules: Rules,
) -> Result<Eligible, Exclusion> {
    let Rules {
        retry_rejected,
        shipping_per_delivery,
        max_parcels,
        one_carrier_per_order,
    } = rules;
    if !c.status.exportable() {
        return Err(Exclusion::Status {
            status: c.status,
            hold_reason: c.hold_reason.clone(),
        });
    }
    if c.payment == crate::model::PaymentState::Unpaid {
        return Err(Exclusion::Unpaid);
    }
    let ship_date = c.ship_date.ok_or(Exclusion::NoShipDate)?;
    if ship_date > today {
        return Err(Exclusion::FutureShipDate { date: ship_date });
    }
    let tracking = c
        .tracking_number
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or(Exclusion::NoTracking)?;
    let carrier = c
        .carrier
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .ok_or(Exclusion::NoCarrier)?;
    let carrier_id = carrier_ids
        .get(carrier)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Exclusion::NoCarrierId {
            carrier: carrier.to_string(),
        })?;
    if !c.untracked_deliveries.is_empty() {
        return Err(Exclusion::DeliveriesUntracked {
            deliveries: c.untracked_deliveries.clone(),
        });
    }
    if c.take_state == TakeState::Pending {
        return Err(Exclusion::NotTaken);
    }
    // Pushes recorded before shipments had a data key are compared by their first parcel.
    if let Some(p) = c.last_push.as_ref().filter(|p| p.data_key.is_none()) {
        let same_number = p.carrier == carrier && p.tracking_number == tracking;
        match p.outcome {
            PushOutcome::Ok if same_number => {
                return Err(Exclusion::AlreadyExported);
            }
            PushOutcome::Rejected if same_number && p.ship_date == ship_date && !retry_rejected => {
                return Err(Exclusion::RejectedBefore {
                    message: p.error.clone().unwrap_or_default(),
                });
            }
            _ => {}
        }
    }
    // The mall's id of a merchant carrier, or the exclusion naming it.
    let id_of = |carrier: &str| -> Result<String, Exclusion> {
        carrier_ids
            .get(carrier)
            .filter(|id| !id.trim().is_empty())
            .cloned()
            .ok_or_else(|| Exclusion::NoCarrierId {
                carrier: carrier.to_string(),
            })
    };
    // A delivery's further parcels (`orders ship --more`), within what the mall takes.
    let with_more = |delivery_no: u32,
                     first: Parcel,
                     more: &[(String, String)]|
     -> Result<Vec<Parcel>, Exclusion> {
        let mut parcels = vec![first];
        for (carrier, number) in more {
            parcels.push(Parcel {
                carrier_id: id_of(carrier)?,
                tracking_number: number.clone(),
            });
        }
        let max = max_parcels.max(1);
        if parcels.len() > max as usize {
            return Err(Exclusion::TooManyParcels {
                delivery: delivery_no,
                parcels: parcels.len(),
                max,
            });
        }
        Ok(parcels)
    };
    // The order's carrier and number go on its first delivery; a mall that ships per delivery
    // gets each further delivery's own (set with `orders ship --delivery N`).
    let head = c.deliveries.first();
    let first_no = head.map_or(1, |d| d.delivery_no);
    let first = DeliveryShipment {
        delivery_no: first_no,
        mall_delivery_id: head.and_then(|d| d.mall_delivery_id.clone()),
        parcels: with_more(
            first_no,
            Parcel {
                carrier_id: carrier_id.clone(),
                tracking_number: tracking.to_string(),
            },
            head.map_or(&[][..], |d| d.more_parcels.as_slice()),
        )?,
    };
    let mut deliveries = vec![first];
    if shipping_per_delivery {
        for d in c.deliveries.iter().skip(1) {
            let number = d
                .tracking_number
                .as_deref()
                .filter(|t| !t.trim().is_empty());
            let Some(number) = number else {
                return Err(Exclusion::DeliveriesUntracked {
                    deliveries: vec![d.delivery_no],
                });
            };
            let own = d.carrier.as_deref().filter(|c| !c.trim().is_empty());
            let first = Parcel {
                carrier_id: id_of(own.unwrap_or(carrier))?,
                tracking_number: number.to_string(),
            };
            deliveries.push(DeliveryShipment {
                delivery_no: d.delivery_no,
                mall_delivery_id: d.mall_delivery_id.clone(),
                parcels: with_more(d.delivery_no, first, &d.more_parcels)?,
            });
        }
    }
    if one_carrier_per_order {
        let mut carriers: Vec<String> = deliveries
            .iter()
            .flat_map(|d| d.parcels.iter().map(|p| p.carrier_id.clone()))
            .collect();
        carriers.sort();
        carriers.dedup();
        if carriers.len() > 1 {
            return Err(Exclusion::MixedCarriers { carriers });
        }
    }
    let shipment = Shipment {
        mall_order_number: c.mall_order_number.clone(),
        shipped_date: ship_date,
        deliveries,
    };
    let data_key = shipment.data_key();
    if let Some(p) = &c.last_push
        && p.data_key.as_deref() == Some(data_key.as_str())
    {
        match p.outcome {
            // Accepted: this version is on the mall. (A further parcel or a changed number is
            // another version, and is sent.)
            PushOutcome::Ok => return Err(Exclusion::AlreadyExported),
            PushOutcome::Rejected if !retry_rejected => {
                return Err(Exclusion::RejectedBefore {
                    message: p.error.clone().unwrap_or_default(),
                });
            }
            _ => {}
        }
    }
    let after_unknown = c.last_push.as_ref().is_some_and(|p| {
        p.outcome == PushOutcome::Unknown && p.data_key.as_deref() == Some(data_key.as_str())
    });
    Ok(Eligible {
        order_id: c.id,
        carrier: carrier.to_string(),
        data_key,
        shipment,
        after_unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RETRY: Rules = Rules {
        retry_rejected: true,
        shipping_per_delivery: false,
        max_parcels: 1,
        one_carrier_per_order: false,
    };
    use crate::store::{CandidateDelivery, LastPush};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn ready() -> ExportCandidate {
        ExportCandidate {
            id: 7,
            mall_order_number: "DS1".into(),
            status: OrderStatus::AwaitingShipment,
            hold_reason: None,
            take_state: TakeState::Taken,
            carrier: Some("yamato".into()),
            tracking_number: Some("123456789013".into()),
            ship_date: Some(today()),
            updated_at: chrono::Utc::now(),
            untracked_deliveries: vec![],
            last_push: None,
            deliveries: vec![delivery(1, None, None)],
            payment: crate::model::PaymentState::Paid,
        }
    }

    fn delivery(no: u32, carrier: Option<&str>, tracking: Option<&str>) -> CandidateDelivery {
        CandidateDelivery {
            delivery_no: no,
            mall_delivery_id: Some(format!("B{no}")),
            carrier: carrier.map(str::to_string),
            tracking_number: tracking.map(str::to_string),
            more_parcels: vec![],
        }
    }

    fn ids() -> BTreeMap<String, String> {
        [("yamato".to_string(), "01".to_string())].into()
    }

    #[test]
    fn an_order_meeting_every_condition_is_sent_with_the_carrier_id() {
        let e = judge(&ready(), today(), &ids(), Rules::default()).unwrap();
        let parcel = e.shipment.first_parcel().unwrap();
        assert_eq!(parcel.carrier_id, "01");
        assert_eq!(parcel.tracking_number, "123456789013");
        assert_eq!(e.shipment.shipped_date, today());
        assert_eq!(
            e.shipment.deliveries[0].mall_delivery_id.as_deref(),
            Some("B1")
        );
        // A ship date in the past is fine too.
        let mut c = ready();
        c.ship_date = today().pred_opt();
        assert!(judge(&c, today(), &ids(), Rules::default()).is_ok());
    }

    #[test]
    fn each_condition_alone_excludes() {
        for status in [
            OrderStatus::New,
            OrderStatus::OnHold,
            OrderStatus::Cancelled,
        ] {
            let c = ExportCandidate { status, ..ready() };
            assert!(
                matches!(
                    judge(&c, today(), &ids(), Rules::default()),
                    Err(Exclusion::Status { .. })
                ),
                "{status}"
            );
        }
        for status in [
            OrderStatus::Confirmed,
            OrderStatus::AwaitingShipment,
            OrderStatus::Shipped,
        ] {
            let c = ExportCandidate { status, ..ready() };
            assert!(
                judge(&c, today(), &ids(), Rules::default()).is_ok(),
                "{status}"
            );
        }
        let c = ExportCandidate {
            ship_date: None,
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::NoShipDate)
        );
        let tomorrow = today().succ_opt().unwrap();
        let c = ExportCandidate {
            ship_date: Some(tomorrow),
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::FutureShipDate { date: tomorrow })
        );
        let c = ExportCandidate {
            tracking_number: Some(" ".into()),
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::NoTracking)
        );
        let c = ExportCandidate {
            tracking_number: None,
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::NoTracking)
        );
        let c = ExportCandidate {
            carrier: None,
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::NoCarrier)
        );
        let c = ExportCandidate {
            carrier: Some("sagawa".into()),
            ..ready()
        };
        assert!(
            matches!(judge(&c, today(), &ids(), Rules::default()), Err(Exclusion::NoCarrierId { carrier }) if carrier == "sagawa")
        );
        let c = ExportCandidate {
            take_state: TakeState::Pending,
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::NotTaken)
        );
    }

    #[test]
    fn pushes_are_not_repeated_unless_the_data_changed() {
        let pushed = |outcome| {
            Some(LastPush {
                outcome,
                carrier: "yamato".to_string(),
                tracking_number: "123456789013".to_string(),
                ship_date: today(),
                error: Some("bad".to_string()),
                data_key: None, // recorded before data keys: compared by the first parcel
            })
        };
        let c = ExportCandidate {
            last_push: pushed(PushOutcome::Ok),
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::AlreadyExported)
        );
        let c = ExportCandidate {
            last_push: pushed(PushOutcome::Rejected),
            ..ready()
        };
        assert!(matches!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::RejectedBefore { .. })
        ));
        assert!(
            judge(&c, today(), &ids(), RETRY).is_ok(),
            "the operator asks again"
        );
        // A failed delivery is retried; changed data after a rejection is sent.
        let c = ExportCandidate {
            last_push: pushed(PushOutcome::Failed),
            ..ready()
        };
        assert!(judge(&c, today(), &ids(), Rules::default()).is_ok());
        let c = ExportCandidate {
            last_push: pushed(PushOutcome::Rejected),
            tracking_number: Some("123456789020".into()),
            ..ready()
        };
        assert!(judge(&c, today(), &ids(), Rules::default()).is_ok());
    }

    #[test]
    fn a_push_is_repeated_only_for_new_data_or_an_unknown_outcome() {
        let rules = Rules {
            max_parcels: 2,
            ..Rules::default()
        };
        let sent = judge(&ready(), today(), &ids(), rules).unwrap();
        let last = |outcome, key: &str| {
            Some(LastPush {
                outcome,
                carrier: "yamato".to_string(),
                tracking_number: "123456789013".to_string(),
                ship_date: today(),
                error: None,
                data_key: Some(key.to_string()),
            })
        };
        let with = |p| ExportCandidate {
            last_push: p,
            ..ready()
        };
        let key = sent.data_key.as_str();
        assert_eq!(
            judge(&with(last(PushOutcome::Ok, key)), today(), &ids(), rules),
            Err(Exclusion::AlreadyExported)
        );
        // Sent, answer lost: sent again (an identical push is harmless).
        assert!(
            judge(
                &with(last(PushOutcome::Unknown, key)),
                today(),
                &ids(),
                rules
            )
            .is_ok()
        );
        // A parcel added after the accepted push is a new version: sent, with both parcels.
        let mut more = with(last(PushOutcome::Ok, key));
        more.deliveries[0]
            .more_parcels
            .push(("yamato".into(), "123456789020".into()));
        let e = judge(&more, today(), &ids(), rules).expect("the new parcel goes out");
        assert_eq!(e.shipment.deliveries[0].parcels.len(), 2);
        assert_ne!(e.data_key, key);
    }

    #[test]
    fn a_mall_that_ships_per_delivery_gets_every_deliverys_own_parcel() {
        let per_delivery = Rules {
            shipping_per_delivery: true,
            ..Rules::default()
        };
        let mut c = ready();
        c.deliveries
            .push(delivery(2, Some("japanpost"), Some("123456789020")));
        let ids: BTreeMap<String, String> = [
            ("yamato".to_string(), "01".to_string()),
            ("japanpost".to_string(), "03".to_string()),
        ]
        .into();
        let e = judge(&c, today(), &ids, per_delivery).unwrap();
        let sent: Vec<_> = e
            .shipment
            .deliveries
            .iter()
            .map(|d| {
                (
                    d.delivery_no,
                    d.mall_delivery_id.as_deref(),
                    d.parcels[0].carrier_id.as_str(),
                    d.parcels[0].tracking_number.as_str(),
                )
            })
            .collect();
        assert_eq!(
            sent,
            vec![
                (1, Some("B1"), "01", "123456789013"),
                (2, Some("B2"), "03", "123456789020")
            ]
        );
        // A mall that ships per order gets the first delivery only.
        let e = judge(&c, today(), &ids, Rules::default()).unwrap();
        assert_eq!(e.shipment.deliveries.len(), 1);
        // A further delivery without its number waits, naming it.
        let mut c = ready();
        c.deliveries.push(delivery(2, None, None));
        assert_eq!(
            judge(&c, today(), &ids, per_delivery),
            Err(Exclusion::DeliveriesUntracked {
                deliveries: vec![2]
            })
        );
    }

    #[test]
    fn further_parcels_go_with_their_delivery_within_the_malls_maximum() {
        let ids: BTreeMap<String, String> = [
            ("yamato".to_string(), "1001".to_string()),
            ("sagawa".to_string(), "1002".to_string()),
        ]
        .into();
        let mut c = ready();
        c.deliveries[0]
            .more_parcels
            .push(("sagawa".into(), "SG-22".into()));
        let two = Rules {
            shipping_per_delivery: true,
            max_parcels: 2,
            ..Rules::default()
        };
        let e = judge(&c, today(), &ids, two).unwrap();
        let parcels: Vec<_> = e.shipment.deliveries[0]
            .parcels
            .iter()
            .map(|p| (p.carrier_id.as_str(), p.tracking_number.as_str()))
            .collect();
        assert_eq!(parcels, vec![("1001", "123456789013"), ("1002", "SG-22")]);
        // A mall taking one: left out, saying why.
        assert_eq!(
            judge(&c, today(), &ids, Rules::default()),
            Err(Exclusion::TooManyParcels {
                delivery: 1,
                parcels: 2,
                max: 1
            })
        );
        // A further parcel's carrier needs the mall's id too.
        c.deliveries[0].more_parcels[0].0 = "seino".into();
        assert!(matches!(
            judge(&c, today(), &ids, two),
            Err(Exclusion::NoCarrierId { carrier }) if carrier == "seino"
        ));
    }

    #[test]
    fn an_unpaid_order_is_not_exported_whatever_its_status() {
        let c = ExportCandidate {
            payment: crate::model::PaymentState::Unpaid,
            ..ready()
        };
        assert_eq!(
            judge(&c, today(), &ids(), Rules::default()),
            Err(Exclusion::Unpaid)
        );
        for paid in [
            crate::model::PaymentState::Paid,
            crate::model::PaymentState::OnDelivery,
        ] {
            let c = ExportCandidate {
                payment: paid,
                ..ready()
            };
            assert!(judge(&c, today(), &ids(), Rules::default()).is_ok());
        }
    }

    #[test]
    fn a_mall_of_one_carrier_per_order_gets_no_mixed_parcels() {
        let ids: BTreeMap<String, String> = [
            ("yamato".to_string(), "1001".to_string()),
            ("sagawa".to_string(), "1002".to_string()),
        ]
        .into();
        let mut c = ready();
        c.deliveries[0]
            .more_parcels
            .push(("sagawa".into(), "SG-22".into()));
        let one = Rules {
            max_parcels: 2,
            one_carrier_per_order: true,
            ..Rules::default()
        };
        let e = judge(&c, today(), &ids, one).expect_err("mixed");
        assert_eq!(
            e,
            Exclusion::MixedCarriers {
                carriers: vec!["1001".into(), "1002".into()]
            }
        );
        assert!(e.to_string().contains("ship every parcel with one carrier"));
        // The same carrier twice is one carrier; a mall that takes several is not asked.
        c.deliveries[0].more_parcels[0].0 = "yamato".into();
        assert!(judge(&c, today(), &ids, one).is_ok());
        c.deliveries[0].more_parcels[0].0 = "sagawa".into();
        let several = Rules {
            one_carrier_per_order: false,
            ..one
        };
        assert!(judge(&c, today(), &ids, several).is_ok());
    }

    #[test]
    fn reasons_read_as_instructions() {
        let e = Exclusion::NoCarrierId {
            carrier: "sagawa".into(),
        };
        assert!(e.to_string().contains("carrier_ids"));
        let e = Exclusion::Status {
            status: OrderStatus::OnHold,
            hold_reason: Some("複数配送".into()),
        };
        assert_eq!(
            e.to_string(),
            "status on_hold (保留) is not exported: 複数配送"
        );
    }
}
