"""The plain-PyTorch side of the USE-Lite step benchmark: one prompt-tuning (PT) step in Python.

    use_lite_step.py MODEL_DIR STEPS WARMUP [--batch B] [--prompt-len P] [--text-len L] [--threads T] [--device D]

Prints "step_s <seconds> loss <value>" per timed step, like bench/engine/use_lite_step_bench.cc,
whose step this is (same seeds and order of random draws, so both print the same losses).
USE-Lite is written here in plain torch (no ptune code): the weights are read straight from the
TF.js files (model.json's weightsManifest, shards concatenated, tensors in manifest order,
float32 little-endian) and the forward pass is the graph docs/use-lite.md describes:

    x = e + (e + timing);  layer 0: y = Attn(LN(x)) + Dense(x), z = y + FFN(LN(y))
    layer 1: y = z + Attn(LN(z)), h = y + FFN(LN(y));  out = l2norm(tanh(W mean_t h + b))

Debian's python3-torch is enough (no numpy, no transformers).
"""
import argparse, json, os, sys, time
import torch
import torch.nn.functional as F

APPLY = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
MODULE = "module/Encoder_en/KonaTransformer/Encode/"
NORM = "layer_prepostprocess/layer_norm/layer_norm_"


def load_tfjs(model_dir):
    with open(os.path.join(model_dir, "model.json")) as f:
        manifest = json.load(f)["weightsManifest"]
    tensors = {}
    for group in manifest:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            dtype = {"float32": torch.float32, "int32": torch.int32}.get(w["dtype"])
            if dtype is None:
                sys.exit(f"error: {model_dir}/model.json: {w['name']} is {w['dtype']}, want float32 or int32")
            count = 1
            for s in w["shape"]:
                count *= s
            t = torch.frombuffer(bytearray(data[offset:offset + 4 * count]), dtype=dtype)
            tensors[w["name"]] = t.reshape(w["shape"]) if w["shape"] else t.reshape(())
            offset += 4 * count
    return tensors


def kernel(t):
    """A TF kernel (in x out, maybe with leading 1x1 conv dims) as torch's out x in."""
    return t.reshape(-1, t.shape[-1]).t().contiguous()


class Layer:
    def __init__(self, w, layer, heads=4):
        l = f"Layer_{layer}/TransformerLayer/"
        apply, module, stack = APPLY + l, MODULE + l, APPLY + "TransformerStack/" + l
        self.heads = heads
        self.scale = float(w[stack + "MultiheadAttention/mul/y"])
        self.eps = float(w[APPLY + "TransformerStack/Layer_1/TransformerLayer/FFN/"
                           "layer_prepostprocess/layer_norm/Cast/x"])
        self.attn_norm = (w[apply + NORM + "scale/ConcatPartitions/concat"],
                          w[apply + NORM + "bias/ConcatPartitions/concat"])
        self.qkv = (kernel(w[module + "MultiheadAttention/qkv_transform_single/kernel/part_0"]),
                    w[apply + "MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat"])
        self.out = (kernel(w[module + "MultiheadAttention/output_transform_single/kernel/part_0"]),
                    w[apply + "MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat"])
        self.residual = None
        if layer == 0:
            self.residual = (kernel(w[apply + "dense/kernel/ConcatPartitions/concat"]),
                             w[apply + "dense/bias/ConcatPartitions/concat"])
        self.ffn_norm = (w[apply + "FFN/" + NORM + "scale/ConcatPartitions/concat"],
                         w[apply + "FFN/" + NORM + "bias/ConcatPartitions/concat"])
        self.ffn1 = (kernel(w[stack + "FFN/conv1/Tensordot/Reshape_1"]),
                     w[apply + "FFN/conv1/bias/ConcatPartitions/concat"])
        self.ffn2 = (kernel(w[stack + "FFN/conv2/Tensordot/Reshape_1"]),
                     w[apply + "FFN/conv2/bias/ConcatPartitions/concat"])

    def attention(self, x, key_bias):
        b, t, d = x.shape
        normed = F.layer_norm(x, (d,), *self.attn_norm, eps=self.eps)
        q, k, v = F.linear(normed, *self.qkv).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q * self.scale, k.transpose(-2, -1)) + key_bias
        context = torch.matmul(torch.softmax(scores, -1), v).permute(0, 2, 1, 3).reshape(b, t, d)
        return F.linear(context, *self.out)

    def __call__(self, x, key_bias, valid):
        residual = x if self.residual is None else F.linear(x, *self.residual) * valid
        y = self.attention(x, key_bias) + residual
        normed = F.layer_norm(y, (y.shape[-1],), *self.ffn_norm, eps=self.eps)
        return y + F.linear(torch.relu(F.linear(normed, *self.ffn1)), *self.ffn2) * valid


class UseLite:
    def __init__(self, model_dir, device):
        w = {name: t.to(device) for name, t in load_tfjs(model_dir).items()}
        self.embeddings = w["module/Embeddings_en"]
        self.inv_timescales = w[APPLY + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1"].reshape(-1)
        self.layers = [Layer(w, 0), Layer(w, 1)]
        self.pool = (kernel(w["module/Encoder_en/hidden_layers/tanh_layer_0/weights"]),
                     w["module/Encoder_en/hidden_layers/tanh_layer_0/bias"])
        self.l2_eps = float(w["module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y"])

    def embed_tokens(self, ids):
        return F.embedding(ids, self.embeddings)

    def forward(self, embeds, mask):
        valid = mask.ne(0).to(embeds.dtype).unsqueeze(-1)
        angles = torch.arange(embeds.shape[1], dtype=embeds.dtype, device=embeds.device).unsqueeze(1) * self.inv_timescales.unsqueeze(0)
        h = (embeds + (embeds + torch.cat([torch.sin(angles), torch.cos(angles)], 1))) * valid
        key_bias = ((1 - valid.squeeze(-1)) * -1e9).view(embeds.shape[0], 1, 1, -1)
        for layer in self.layers:
            h = layer(h, key_bias, valid)
        pooled = (h * valid).sum(1) / valid.sum(1).clamp_min(1)
        out = torch.tanh(F.linear(pooled, *self.pool))
        return out * torch.rsqrt(out.square().sum(-1, keepdim=True).clamp_min(self.l2_eps))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir")
    parser.add_argument("steps", type=int)
    parser.add_argument("warmup", type=int)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--prompt-len", type=int, default=20)
    parser.add_argument("--text-len", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:n] (untested: no GPU here)")
    a = parser.parse_args(argv)
    torch.set_num_threads(a.threads)
    model = UseLite(a.model_dir, a.device)
    torch.manual_seed(1)
    table = model.embeddings
    # Random draws on the CPU generator (the C++ side's stream), then moved.
    prompt = (torch.randn(a.prompt_len, table.shape[1]) * table.std().item()).to(a.device).requires_grad_(True)
    optimizer = torch.optim.AdamW([prompt], lr=1e-3, weight_decay=0.01)
    ids = torch.randint(3, table.shape[0], (a.batch, a.text_len))
    labels = torch.randint(0, 2, (a.batch,))
    classes = torch.randn(2, 512)
    classes = classes / classes.norm(2, 1, keepdim=True)
    mask = torch.ones(a.batch, a.prompt_len + a.text_len, dtype=torch.long)
    ids, labels, classes, mask = ids.to(a.device), labels.to(a.device), classes.to(a.device), mask.to(a.device)
    for i in range(a.warmup + a.steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        embeds = torch.cat([prompt.unsqueeze(0).expand(a.batch, -1, -1), model.embed_tokens(ids)], 1)
        loss = F.cross_entropy(20 * torch.matmul(model.forward(embeds, mask), classes.t()), labels)
        loss.backward()
        optimizer.step()
        loss_value = loss.item()  # on CUDA this waits for the step
        elapsed = time.perf_counter() - start
        if i >= a.warmup:
            print(f"step_s {elapsed:.6f} loss {loss_value:.4f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
