// Drives the gateway with the official openai npm package. Exits non-zero on the first failed
// check and prints one line per check. Env: GATEWAY_URL (http://127.0.0.1:PORT), GATEWAY_KEY,
// optional UPSTREAM_MODEL (a model served through DEFAULT_PROVIDER=openai).
import OpenAI from "openai";
import assert from "node:assert/strict";

const baseURL = `${process.env.GATEWAY_URL}/v1`;
const client = new OpenAI({ apiKey: process.env.GATEWAY_KEY, baseURL, maxRetries: 0 });

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (error) {
    console.log(`FAIL ${name}: ${error?.stack ?? error}`);
    process.exitCode = 1;
  }
}

await check("chat.completions.create", async () => {
  const r = await client.chat.completions.create({
    model: "mock-1",
    messages: [{ role: "user", content: "Hello" }],
    max_tokens: 50,
  });
  assert.equal(r.object, "chat.completion");
  assert.ok(r.id.startsWith("chatcmpl-"));
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(r.usage.total_tokens > 0);
});

await check("chat.completions.create withResponse (x-request-id, overhead)", async () => {
  const { data, response } = await client.chat.completions
    .create({ model: "mock-1", messages: [{ role: "user", content: "Hi" }] })
    .withResponse();
  assert.equal(data.choices.length, 1);
  assert.ok(response.headers.get("x-request-id"));
  assert.ok(Number(response.headers.get("x-agw-overhead-ms")) >= 0);
});

await check("responses.create (output_text, store false)", async () => {
  const r = await client.responses.create({ model: "mock-1", input: "Tell me a joke" });
  assert.equal(r.object, "response");
  assert.ok(r.output_text.length > 0);
  assert.equal(r.store, false);
});

await check("embeddings.create (the SDK asks for base64 and decodes it)", async () => {
  const r = await client.embeddings.create({ model: "mock-embedding-1", input: ["a", "b"] });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].embedding.length, 1536);
  const norm = Math.sqrt(r.data[0].embedding.reduce((s, x) => s + x * x, 0));
  assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
});

await check("embeddings.create float", async () => {
  const r = await client.embeddings.create({
    model: "mock-embedding-1", input: "a", encoding_format: "float", dimensions: 8 });
  assert.equal(r.data[0].embedding.length, 8);
});

await check("images.generate", async () => {
  const r = await client.images.generate({
    model: "mock-image-1", prompt: "a cat", response_format: "b64_json", n: 2 });
  assert.equal(r.data.length, 2);
  assert.ok(Buffer.from(r.data[0].b64_json, "base64").subarray(1, 4).toString() === "PNG");
});

await check("models.list", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes("mock-1"), ids.join(","));
});

await check("unknown model → NotFoundError", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: "mock-nope", messages: [{ role: "user", content: "x" }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === "model_not_found");
});

await check("bad key → AuthenticationError", async () => {
  const bad = new OpenAI({ apiKey: "agw_nope.nope", baseURL, maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e instanceof OpenAI.AuthenticationError);
});

if (process.env.UPSTREAM_MODEL) {
  await check(`chat through the upstream (${process.env.UPSTREAM_MODEL})`, async () => {
    const r = await client.chat.completions.create({
      model: process.env.UPSTREAM_MODEL, messages: [{ role: "user", content: "Hello" }] });
    assert.equal(r.object, "chat.completion");
    assert.ok(r.usage.total_tokens > 0);
  });
  await check("models.list includes the upstream's models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes(process.env.UPSTREAM_MODEL), ids.join(","));
  });
}
