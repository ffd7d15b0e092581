// whatsappApi.ts - the desk's WhatsApp-only call, injected into deskApi: sendTemplate, POST
// /desk/services/:id/template {clientMsgId} (docs/desk.md "The 24-hour window"): the configured
// template goes out through the outbox; the stored message goes into the service's cache at once
// (message:new brings it too; the upsert keeps one).
import type { DeskMessage, Service } from "@/lib/types";
import { deskApi } from "./deskApi";
import { upsertDeskMessage } from "./logic";

export const whatsappApi = deskApi.injectEndpoints({
  endpoints: (build) => ({
    sendTemplate: build.mutation<{ message: DeskMessage; service: Service; duplicate: boolean }, { serviceId: number; clientMsgId: string }>({
      query: ({ serviceId, clientMsgId }) => ({ url: `/desk/services/${serviceId}/template`, method: "POST", body: { clientMsgId } }),
      async onQueryStarted({ serviceId }, { dispatch, queryFulfilled }) {
        const r = await queryFulfilled.catch(() => null);
        if (!r) return;
        dispatch(
          deskApi.util.updateQueryData("getService", serviceId, (d) => {
            upsertDeskMessage(d.messages, r.data.message);
            d.service = r.data.service;
          }),
        );
      },
    }),
  }),
});

export const { useSendTemplateMutation } = whatsappApi;
