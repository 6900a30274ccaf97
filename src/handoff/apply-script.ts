/**
 * apply_fifo_depths.py: the Python that converts model.onnx with hls4ml and sets our FIFO depths without
 * co-simulation (docs/research/hls4ml-handoff.md section 1.4: set each stream variable's `pragma` to
 * ('stream', max + 1), as hls4ml's set_fifo_depth does, then write the project, which emits the
 * `#pragma HLS STREAM ... depth=` lines). Not run here: hls4ml and qonnx are not installed in this project.
 *
 * Why it does not call qonnx's cleanup_model: that runs GiveUniqueNodeNames and GiveReadableTensorNames
 * (qonnx cc2ec17, src/qonnx/util/cleanup.py:77-88), which rename every node `<op>_<k>`, so neither the LayerName
 * keys nor the depth file would match. It runs the other cleanup steps and the channels-last conversion, which keep
 * node names (transformation/channels_last.py: the nodes it wraps keep theirs; the Transposes it inserts have none,
 * and get one here, since hls4ml names a layer after its node).
 */
export const APPLY_SCRIPT = String.raw`#!/usr/bin/env python3
"""Convert model.onnx with hls4ml and apply the FIFO depths of max_depth.json (written by tailor-ts).

Usage: python3 apply_fifo_depths.py [--out prj] [--write]
Needs hls4ml (>= 1.1) and qonnx. Predicted depths, not co-simulated ones: see report.md.
"""
import argparse, json, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument('--out', default='prj', help='hls4ml output_dir')
ap.add_argument('--write', action='store_true', help='write the HLS project after setting the depths')
args = ap.parse_args()

try:
    import hls4ml
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.infer_shapes import InferShapes
    from qonnx.transformation.fold_constants import FoldConstants
    from qonnx.transformation.general import RemoveUnusedTensors, RemoveStaticGraphInputs
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
except ImportError as e:
    sys.exit('error: apply_fifo_depths.py needs hls4ml (>= 1.1) and qonnx in this Python (%s): %s' % (sys.executable, e))

cfg = json.load(open(os.path.join(here, 'hls4ml_config.json')))
depths = json.load(open(os.path.join(here, 'max_depth.json')))

# qonnx's cleanup without its renaming passes (they would rename every node), then channels-last
model = ModelWrapper(os.path.join(here, 'model.onnx'))
for t in [InferShapes(), FoldConstants(exclude_op_types=['Quant']), RemoveUnusedTensors(), RemoveStaticGraphInputs()]:
    model = model.transform(t)
model = model.transform(ConvertToChannelsLastAndClean())
seen = set()
for k, n in enumerate(model.graph.node):
    if not n.name or n.name in seen:
        n.name = '%s_tailor%d' % (n.op_type, k)
    seen.add(n.name)

hls_model = hls4ml.converters.convert_from_onnx_model(
    model, output_dir=args.out, hls_config=cfg['hls_config'], **cfg['convert_kwargs'])

# each entry names the hls4ml layer that writes the stream; '<clone layer>_cpy<i>' is a Clone's i-th output
layers = {l.name: l for l in hls_model.get_layers()}
unmatched = []
for e in depths:
    name, out = e['name'], 0
    m = re.fullmatch(r'(clone_.*)_cpy(\d+)', name)
    if m:
        name, out = m.group(1), int(m.group(2)) - 1
    layer = layers.get(name)
    if layer is None or out >= len(layer.outputs):
        unmatched.append(e['name'])
        continue
    var = hls_model.output_vars.get(layer.outputs[out])
    if var is None or not var.pragma:
        unmatched.append(e['name'])
        continue
    # as hls4ml's set_fifo_depth: depth = max occupancy + 1
    var.pragma = (var.pragma[0], e['max'] + 1)
    print('%-40s %-14s depth %d' % (e['name'], var.name, e['max'] + 1))

if unmatched:
    print('not applied (no such hls4ml layer or stream; the design differs from the one costed):', ', '.join(unmatched), file=sys.stderr)
if args.write:
    hls_model.write()
sys.exit(1 if unmatched else 0)
`;
