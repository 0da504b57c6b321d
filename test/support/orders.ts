/**
 * One retail sale as a host sends it to ingestOrders: 100.00 of Retail at GST 15 % (115.00), paid by card.
 * The mapping rules the push tests set up (Retail, GST 15%, CARD) cover every line of it.
 */
export function retailOrder(externalId: string, orderedAt: string) {
  return {
    externalId,
    orderedAt,
    currency: "NZD",
    totalAmount: "115.00",
    items: [
      {
        revenueCategory: "Retail",
        quantity: "1",
        netAmount: "100.00",
        taxRate: "GST 15%",
        taxAmount: "15.00",
      },
    ],
    payments: [{ method: "CARD", amount: "115.00" }],
  };
}
