// Drives a served project with the official `openai` JavaScript SDK and prints what it saw as
// JSON, for tests/test_js_sdk.py to assert on. Usage: node sdk_check.mjs BASE_URL API_KEY
import OpenAI from "openai";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "Hello from JavaScript" }];

async function errorOf(call) {
  try {
    await call();
    return null;
  } catch (error) {
    return { class: error.constructor.name, status: error.status ?? null, code: error.code ?? null };
  }
}

const models = [];
for await (const model of client.models.list()) models.push(model.id);

const completion = await client.chat.completions.create({ model: "mock-model", messages, n: 2 });

const stream = await client.chat.completions.create({
  model: "mock-model",
  messages,
  stream: true,
  stream_options: { include_usage: true },
});
let streamed = "";
let finishReason = null;
let streamUsage = null;
for await (const chunk of stream) {
  for (const choice of chunk.choices) {
    streamed += choice.delta.content ?? "";
    finishReason = choice.finish_reason ?? finishReason;
  }
  streamUsage = chunk.usage ?? streamUsage;
}

const wrongKey = new OpenAI({ baseURL, apiKey: "wrong-key", maxRetries: 0 });

console.log(
  JSON.stringify({
    models,
    choices: completion.choices.map((choice) => choice.message.content),
    usage: completion.usage,
    streamed,
    finishReason,
    streamUsage,
    unknownModel: await errorOf(() =>
      client.chat.completions.create({ model: "no-such-model", messages }),
    ),
    invalid: await errorOf(() => client.chat.completions.create({ model: "mock-model", messages: [] })),
    wrongKey: await errorOf(() => wrongKey.models.list()),
  }),
);
