<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Ablation</name>
    <message>
        <source>Silence each unit of the shown layer in turn (its h — and c for an LSTM — set to 0 at every step) and rank the units by how much the task&apos;s metric, or the output, changes. Run computes it.</source>
        <translation>依次静默所显示层的每个单元（每一步都把它的 h——对 LSTM 还有 c——设为 0），并按任务指标或输出的变化大小给单元排序。单击“运行”开始计算。</translation>
    </message>
    <message>
        <source>h (and c of an LSTM)</source>
        <translation>h（LSTM 还包括 c）</translation>
    </message>
    <message>
        <source>What to score: the task&apos;s held-out sequences (its own metric), or the shown input (the task&apos;s metric when it can judge it, else mean |Δ output|)</source>
        <translation>评估对象：任务的留出序列（用任务自己的指标），或所显示的输入（任务指标能评判时用任务指标，否则用平均 |Δ 输出|）</translation>
    </message>
    <message>
        <source>What silencing sets to 0 at every step</source>
        <translation>静默时每一步设为 0 的量</translation>
    </message>
    <message>
        <source>Over</source>
        <translation>评估对象</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>静默</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Silence each unit of the shown layer in turn, all in one batched trace</source>
        <translation>依次静默所显示层的每个单元，全部在一次批量计算中完成</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Sort heatmap rows by importance</source>
        <translation>按重要性排列热图的行</translation>
    </message>
    <message>
        <source>Heatmap rows top to bottom in this ranking (the shown layer and direction)</source>
        <translation>热图的行按此排名从上到下排列（所显示的层和方向）</translation>
    </message>
    <message>
        <source>Click a column title to sort; click a row to pin or unpin that unit</source>
        <translation>单击列标题排序；单击某一行可固定或取消固定该单元</translation>
    </message>
    <message>
        <source>units, most important first</source>
        <translation>单元（按重要性从高到低）</translation>
    </message>
    <message>
        <source>Silencing the units of layer {layer}…</source>
        <translation>正在静默第 {layer} 层的单元…</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Unit importance</source>
        <translation>单元重要性</translation>
    </message>
    <message>
        <source>the {task} task&apos;s own sequences</source>
        <translation>{task} 任务自己的序列</translation>
    </message>
    <message>
        <source>the shown input</source>
        <translation>所显示的输入</translation>
    </message>
    <message>
        <source>unit {unit}: mean |Δ {output}| {value}</source>
        <translation>单元 {unit}：平均 |Δ {output}| {value}</translation>
    </message>
    <message>
        <source>rank</source>
        <translation>排名</translation>
    </message>
    <message>
        <source>unit</source>
        <translation>单元</translation>
    </message>
    <message>
        <source>the metric with the unit silenced</source>
        <translation>静默该单元后的指标</translation>
    </message>
    <message>
        <source>the {measure} with the unit silenced</source>
        <translation>静默该单元后的 {measure}</translation>
    </message>
    <message>
        <source>how much worse the measure gets with the unit silenced</source>
        <translation>静默该单元后度量变差了多少</translation>
    </message>
    <message>
        <source>how much the {measure} drops with the unit silenced</source>
        <translation>静默该单元后 {measure} 下降了多少</translation>
    </message>
    <message>
        <source>how much the {measure} rises with the unit silenced</source>
        <translation>静默该单元后 {measure} 上升了多少</translation>
    </message>
    <message>
        <source>{definition} with the unit silenced</source>
        <translation>静默该单元后的 {definition}</translation>
    </message>
    <message>
        <source>1 = matters most</source>
        <translation>1 = 最重要</translation>
    </message>
    <message>
        <source>click a row to pin the unit</source>
        <translation>单击某一行以固定该单元</translation>
    </message>
    <message>
        <source>change</source>
        <translation>变化</translation>
    </message>
    <message>
        <source>silenced</source>
        <translation>静默后</translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>请先打开一个模型。</translation>
    </message>
    <message>
        <source> — {seconds} s.</source>
        <translation> — {seconds} 秒。</translation>
    </message>
    <message>
        <source> The input has changed since: Run again to rank on it.</source>
        <translation> 此后输入已改变：请再次运行以按新输入排名。</translation>
    </message>
    <message>
        <source>Most important: {names}</source>
        <translation>最重要：{names}</translation>
    </message>
    <message>
        <source>drop in {measure}</source>
        <translation>{measure} 的下降</translation>
    </message>
    <message>
        <source>rise in {measure}</source>
        <translation>{measure} 的上升</translation>
    </message>
    <message>
        <source>Unit &amp;importance (ablation)</source>
        <translation>单元重要性（消融）(&amp;I)</translation>
    </message>
    <message>
        <source>Rank the units by what silencing each one changes: a sortable list and a bar chart</source>
        <translation>按静默每个单元所引起的变化为单元排序：可排序的列表和柱状图</translation>
    </message>
</context>
<context>
    <name>Compare</name>
    <message>
        <source>Play / pause (Space)</source>
        <translation>播放 / 暂停 (空格)</translation>
    </message>
    <message>
        <source>The shared time step t*: every model&apos;s cursor and the gradients&apos; target step</source>
        <translation>共同的时间步 t*：所有模型的光标，也是梯度的目标时间步</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>This view as a figure (PNG, SVG, PDF) or an animation of t* (GIF, MP4)</source>
        <translation>把此视图导出为图（PNG、SVG、PDF）或 t* 的动画（GIF、MP4）</translation>
    </message>
    <message>
        <source>step t* = {step} of 0..{last}</source>
        <translation>时间步 t* = {step}（0..{last}）</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>compare models</source>
        <translation>比较模型</translation>
    </message>
    <message>
        <source>Export the comparison</source>
        <translation>导出比较</translation>
    </message>
    <message>
        <source>Figures (*.png *.svg *.pdf);;Animations (*.gif *.mp4)</source>
        <translation>图 (*.png *.svg *.pdf);;动画 (*.gif *.mp4)</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>wrote {path} ({w}x{h} px)</source>
        <translation>已写入 {path}（{w}x{h} 像素）</translation>
    </message>
    <message>
        <source>loading {models}</source>
        <translation>正在加载 {models}</translation>
    </message>
    <message>
        <source>{n} models on {where}: {names}</source>
        <translation>{n} 个模型，输入为{where}：{names}</translation>
    </message>
    <message>
        <source>Cannot compare these models</source>
        <translation>无法比较这些模型</translation>
    </message>
    <message>
        <source>gradients: {message}</source>
        <translation>梯度：{message}</translation>
    </message>
    <message>
        <source>Compare models</source>
        <translation>比较模型</translation>
    </message>
    <message>
        <source>Models to compare on one input ({low} to {high}), in legend order:</source>
        <translation>在同一输入上比较的模型（{low} 至 {high} 个），按图例顺序：</translation>
    </message>
    <message>
        <source>A bundled model to add</source>
        <translation>要添加的内置模型</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Add file…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>the first model&apos;s task&apos;s sample</source>
        <translation>第一个模型所属任务的样本</translation>
    </message>
    <message>
        <source>An input file (.npy, .csv, .txt) every model reads; empty: the task&apos;s sample</source>
        <translation>所有模型共同读取的输入文件（.npy、.csv、.txt）；留空则用任务的样本</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Input:</source>
        <translation>输入：</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>比较</translation>
    </message>
    <message>
        <source>Add a model to compare</source>
        <translation>添加要比较的模型</translation>
    </message>
    <message>
        <source>Input for every model</source>
        <translation>所有模型的输入</translation>
    </message>
    <message>
        <source>Add {n} more.</source>
        <translation>还需添加 {n} 个。</translation>
    </message>
    <message>
        <source>step t</source>
        <translation>时间步 t</translation>
    </message>
    <message>
        <source>input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>input ({n} features)</source>
        <translation>输入（{n} 个特征）</translation>
    </message>
    <message>
        <source>no output (no head)</source>
        <translation>没有输出（没有输出层）</translation>
    </message>
    <message>
        <source>, drawn at t + 1 (it predicts the next value)</source>
        <translation>，画在 t + 1 处（它预测下一个值）</translation>
    </message>
    <message>
        <source>&lt;b&gt;Outputs&lt;/b&gt;: each model&apos;s {outputs}{next}</source>
        <translation>&lt;b&gt;输出&lt;/b&gt;：各模型的 {outputs}{next}</translation>
    </message>
    <message>
        <source>input character at step t</source>
        <translation>第 t 步的输入字符</translation>
    </message>
    <message>
        <source>steps back in time, t* − t</source>
        <translation>向前回溯的步数 t* − t</translation>
    </message>
    <message>
        <source>&lt;b&gt;Gradients through time&lt;/b&gt; (computing…)</source>
        <translation>&lt;b&gt;随时间的梯度&lt;/b&gt;（计算中…）</translation>
    </message>
    <message>
        <source>{name} from {n} steps back</source>
        <translation>{name} 从回溯 {n} 步处起</translation>
    </message>
    <message>
        <source>layer {k} {direction}</source>
        <translation>第 {k} 层 {direction}</translation>
    </message>
    <message>
        <source> — every gradient is zero</source>
        <translation> — 所有梯度均为零</translation>
    </message>
    <message>
        <source> — a gap is an exact zero ({gaps})</source>
        <translation> — 断开处恰好为零（{gaps}）</translation>
    </message>
    <message>
        <source>&lt;b&gt;‖∂y/∂h&lt;sub&gt;t&lt;/sub&gt;‖ against t* − t&lt;/b&gt;</source>
        <translation>&lt;b&gt;‖∂y/∂h&lt;sub&gt;t&lt;/sub&gt;‖ 随 t* − t 的变化&lt;/b&gt;</translation>
    </message>
    <message>
        <source>heatmaps</source>
        <translation>热图</translation>
    </message>
    <message>
        <source>cell diagram</source>
        <translation>单元结构图</translation>
    </message>
    <message>
        <source>Whose gates to show below</source>
        <translation>下方显示哪个模型的门</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>显示</translation>
    </message>
</context>
<context>
    <name>Controls</name>
    <message>
        <source>Unit index</source>
        <translation>单元编号</translation>
    </message>
    <message>
        <source>Rows in unit order 0, 1, 2, …</source>
        <translation>按单元编号 0、1、2…… 排列各行</translation>
    </message>
    <message>
        <source>Variance over time</source>
        <translation>随时间的方差</translation>
    </message>
    <message>
        <source>Most active units (largest variance of h over time) first</source>
        <translation>最活跃的单元（h 随时间的方差最大）排在前面</translation>
    </message>
    <message>
        <source>Saturation</source>
        <translation>饱和度</translation>
    </message>
    <message>
        <source>Units whose gates sit most often near 0 or 1 first</source>
        <translation>门最常接近 0 或 1 的单元排在前面</translation>
    </message>
    <message>
        <source>Correlation with input</source>
        <translation>与输入的相关性</translation>
    </message>
    <message>
        <source>Units whose h follows the input most closely first</source>
        <translation>h 最紧密跟随输入的单元排在前面</translation>
    </message>
    <message>
        <source>forward</source>
        <translation>正向</translation>
    </message>
    <message>
        <source>backward</source>
        <translation>反向</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Pretrained models that ship with gateviz, one per task and cell kind</source>
        <translation>gateviz 自带的预训练模型，每个任务和单元类型各一个</translation>
    </message>
    <message>
        <source>Open…</source>
        <translation>打开…</translation>
    </message>
    <message>
        <source>Open a model file: gateviz .gvm, PyTorch .pt/.pth/.safetensors, Keras .h5/.keras or ONNX .onnx (Ctrl+O). You can also drop a file on the window.</source>
        <translation>打开模型文件：gateviz .gvm、PyTorch .pt/.pth/.safetensors、Keras .h5/.keras 或 ONNX .onnx (Ctrl+O)。也可以把文件拖放到窗口上。</translation>
    </message>
    <message>
        <source>Train…</source>
        <translation>训练…</translation>
    </message>
    <message>
        <source>Train a small model on a built-in task and watch its loss (Ctrl+T)</source>
        <translation>在内置任务上训练一个小模型并观察其损失 (Ctrl+T)</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save the current model as a gateviz model file (.gvm) (Ctrl+S)</source>
        <translation>将当前模型保存为 gateviz 模型文件 (.gvm) (Ctrl+S)</translation>
    </message>
    <message>
        <source>Bundled models…</source>
        <translation>内置模型…</translation>
    </message>
    <message>
        <source>, bidirectional</source>
        <translation>，双向</translation>
    </message>
    <message>
        <source>{cell} {units} units, {layers} layer(s){bi}</source>
        <translation>{cell}，{units} 个单元，{layers} 层{bi}</translation>
    </message>
    <message>
        <source>input: {n} feature(s) per step</source>
        <translation>输入：每步 {n} 个特征</translation>
    </message>
    <message>
        <source>input: text, {n} characters</source>
        <translation>输入：文本，{n} 个字符</translation>
    </message>
    <message>
        <source>input: token ids 0–{last}, embedded in {e} features</source>
        <translation>输入：词元编号 0–{last}，嵌入为 {e} 个特征</translation>
    </message>
    <message>
        <source>task: {task}</source>
        <translation>任务：{task}</translation>
    </message>
    <message>
        <source>from: {framework}</source>
        <translation>来源：{framework}</translation>
    </message>
    <message>
        <source>Input sequence</source>
        <translation>输入序列</translation>
    </message>
    <message>
        <source>Inputs chosen to tell a story for this model&apos;s task</source>
        <translation>为此模型的任务挑选的、能说明问题的输入</translation>
    </message>
    <message>
        <source>Load sequence file…</source>
        <translation>加载序列文件…</translation>
    </message>
    <message>
        <source>Read an input from .npy (T, features), .csv (one row per step) or .txt (text models)</source>
        <translation>从 .npy（T, 特征）、.csv（每步一行）或 .txt（文本模型）读取输入</translation>
    </message>
    <message>
        <source>(your own input)</source>
        <translation>（你自己的输入）</translation>
    </message>
    <message>
        <source>from {name}</source>
        <translation>来自 {name}</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>单元</translation>
    </message>
    <message>
        <source>Which layer and direction every panel shows</source>
        <translation>所有面板显示哪一层、哪个方向</translation>
    </message>
    <message>
        <source>Order of the heatmap rows</source>
        <translation>热图各行的顺序</translation>
    </message>
    <message>
        <source>e.g. 0, 5, 12</source>
        <translation>例如 0, 5, 12</translation>
    </message>
    <message>
        <source>Pinned units (comma separated, up to 8): their traces, diagram values and text colouring. Clicking a heatmap row pins or unpins that unit.</source>
        <translation>已固定的单元（用逗号分隔，最多 8 个）：显示它们的曲线、结构图中的数值和文本着色。单击热图的某一行即可固定或取消固定该单元。</translation>
    </message>
    <message>
        <source>Layer</source>
        <translation>层</translation>
    </message>
    <message>
        <source>Sort rows</source>
        <translation>行排序</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>已固定</translation>
    </message>
    <message>
        <source>layer {k}</source>
        <translation>第 {k} 层</translation>
    </message>
    <message>
        <source>{layer}  ({n} units)</source>
        <translation>{layer}（{n} 个单元）</translation>
    </message>
    <message>
        <source>unit {u}</source>
        <translation>单元 {u}</translation>
    </message>
</context>
<context>
    <name>Dashboard</name>
    <message>
        <source>Input and output</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <source>Gate heatmaps</source>
        <translation>门控热图</translation>
    </message>
    <message>
        <source>Unit traces</source>
        <translation>单元曲线</translation>
    </message>
    <message>
        <source>Cell diagram</source>
        <translation>单元结构图</translation>
    </message>
    <message>
        <source>Saturation</source>
        <translation>饱和度</translation>
    </message>
    <message>
        <source>Memory through time</source>
        <translation>随时间的记忆</translation>
    </message>
</context>
<context>
    <name>Docks</name>
    <message>
        <source>Unit importance</source>
        <translation>单元重要性</translation>
    </message>
    <message>
        <source>Interventions</source>
        <translation>干预</translation>
    </message>
    <message>
        <source>Controls</source>
        <translation>控制</translation>
    </message>
</context>
<context>
    <name>Editors</name>
    <message>
        <source>Type or paste text; the model re-reads it as you type</source>
        <translation>输入或粘贴文本；模型会随着输入重新读取</translation>
    </message>
    <message>
        <source>The model&apos;s input. Characters outside its vocabulary are dropped (shown below).</source>
        <translation>模型的输入。词表之外的字符会被丢弃（显示在下方）。</translation>
    </message>
    <message>
        <source>not in the vocabulary, skipped: </source>
        <translation>不在词表中，已跳过：</translation>
    </message>
    <message>
        <source>typed text</source>
        <translation>输入的文本</translation>
    </message>
    <message>
        <source>Draw the input with the mouse: press and drag left to right. Release to re-trace.</source>
        <translation>用鼠标绘制输入：按住并从左向右拖动。松开后重新计算。</translation>
    </message>
    <message>
        <source>Number of time steps of the drawn signal</source>
        <translation>所绘信号的时间步数</translation>
    </message>
    <message>
        <source>Sine</source>
        <translation>正弦</translation>
    </message>
    <message>
        <source>Reset the drawing to one and a half periods of a sine</source>
        <translation>把绘图重置为一个半周期的正弦</translation>
    </message>
    <message>
        <source>Flat</source>
        <translation>平直</translation>
    </message>
    <message>
        <source>Reset the drawing to zeros</source>
        <translation>把绘图重置为全零</translation>
    </message>
    <message>
        <source>steps</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Operand {name} (0..{top}); fed least significant bit first</source>
        <translation>操作数 {name}（0..{top}）；从最低有效位开始输入</translation>
    </message>
    <message>
        <source>Draw a digit: left button paints, right button erases. Each row is one time step.</source>
        <translation>画一个数字：左键绘制，右键擦除。每一行是一个时间步。</translation>
    </message>
    <message>
        <source>Pick any held-out test image by its index</source>
        <translation>按编号选取任意一张留出测试图像</translation>
    </message>
    <message>
        <source>From data</source>
        <translation>从数据中取</translation>
    </message>
    <message>
        <source>Show the held-out test image with this index</source>
        <translation>显示此编号的留出测试图像</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Erase the grid</source>
        <translation>擦除网格</translation>
    </message>
    <message>
        <source>test image</source>
        <translation>测试图像</translation>
    </message>
    <message>
        <source>left button inks, right erases</source>
        <translation>左键绘制，右键擦除</translation>
    </message>
    <message>
        <source>test image {k} (a {label})</source>
        <translation>测试图像 {k}（数字 {label}）</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The intervention does not fit this model or input.</source>
        <translation>这个干预不适用于当前模型或输入。</translation>
    </message>
    <message>
        <source>The trace would not fit in this machine&apos;s memory.</source>
        <translation>这条轨迹超出了本机内存所能容纳的大小。</translation>
    </message>
    <message>
        <source>This needs more memory or disk than this machine has.</source>
        <translation>所需的内存或磁盘空间超出了本机的容量。</translation>
    </message>
    <message>
        <source>The ablation cannot run as asked.</source>
        <translation>无法按要求进行消融。</translation>
    </message>
    <message>
        <source>The export could not be written.</source>
        <translation>导出文件无法写入。</translation>
    </message>
    <message>
        <source>The session could not be opened or saved.</source>
        <translation>无法打开或保存会话。</translation>
    </message>
    <message>
        <source>This input sequence does not fit the model.</source>
        <translation>这个输入序列不适用于当前模型。</translation>
    </message>
    <message>
        <source>gateviz cannot read this file.</source>
        <translation>gateviz 无法读取这个文件。</translation>
    </message>
    <message>
        <source>This model cannot be traced.</source>
        <translation>无法计算这个模型的轨迹。</translation>
    </message>
    <message>
        <source>This cannot be done as asked.</source>
        <translation>无法按要求完成。</translation>
    </message>
    <message>
        <source>Details (in English):</source>
        <translation>详细信息（英文原文）：</translation>
    </message>
    <message>
        <source>no such file: {name}</source>
        <translation>没有这个文件：{name}</translation>
    </message>
    <message>
        <source>{name} is a folder; choose a file</source>
        <translation>{name} 是文件夹；请选择一个文件</translation>
    </message>
    <message>
        <source>permission denied: {name}</source>
        <translation>没有权限：{name}</translation>
    </message>
    <message>
        <source>not enough memory for this model and input; try a shorter sequence</source>
        <translation>内存不足以处理此模型和输入；请尝试更短的序列</translation>
    </message>
    <message>
        <source>unexpected {kind}: {error}</source>
        <translation>意外的 {kind}：{error}</translation>
    </message>
    <message>
        <source>Replace file?</source>
        <translation>替换文件？</translation>
    </message>
    <message>
        <source>{path} already exists.
Do you want to replace it?</source>
        <translation>{path} 已存在。
要替换它吗？</translation>
    </message>
    <message>
        <source>{file} holds {n} recurrent modules. Which one should gateviz open?</source>
        <translation>{file} 包含 {n} 个循环模块。gateviz 应打开哪一个？</translation>
    </message>
    <message>
        <source>{file}: gateviz can open this recurrent module on its raw input features.</source>
        <translation>{file}：gateviz 可以以原始输入特征打开这个循环模块。</translation>
    </message>
    <message>
        <source>Choose a recurrent module</source>
        <translation>选择循环模块</translation>
    </message>
    <message>
        <source>The decoder needs its encoder&apos;s input</source>
        <translation>解码器需要其编码器的输入</translation>
    </message>
    <message>
        <source>{decoder} starts where its encoder {encoder} ends, from the encoder&apos;s final state.

Choose the encoder&apos;s input sequence (.npy, .csv or .txt): gateviz traces the encoder on it first and shows the encoder&apos;s steps, then the decoder&apos;s, on one time axis.</source>
        <translation>{decoder} 从其编码器 {encoder} 结束处开始，即从编码器的最终状态出发。

请选择编码器的输入序列（.npy、.csv 或 .txt）：gateviz 先用它运行编码器，再在同一条时间轴上先后显示编码器和解码器的各个时间步。</translation>
    </message>
    <message>
        <source>Choose encoder input…</source>
        <translation>选择编码器输入…</translation>
    </message>
    <message>
        <source>Open the encoder {encoder}</source>
        <translation>打开编码器 {encoder}</translation>
    </message>
    <message>
        <source>Input of the encoder {encoder}</source>
        <translation>编码器 {encoder} 的输入</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Whole dashboard</source>
        <translation>整个仪表板</translation>
    </message>
    <message>
        <source>Input and output</source>
        <translation>输入与输出</translation>
    </message>
    <message>
        <source>Gate heatmaps</source>
        <translation>门控热图</translation>
    </message>
    <message>
        <source>Unit traces</source>
        <translation>单元曲线</translation>
    </message>
    <message>
        <source>Cell diagram</source>
        <translation>单元结构图</translation>
    </message>
    <message>
        <source>Saturation</source>
        <translation>饱和度</translation>
    </message>
    <message>
        <source>Memory through time</source>
        <translation>随时间的记忆</translation>
    </message>
    <message>
        <source>Current size</source>
        <translation>当前尺寸</translation>
    </message>
    <message>
        <source>Slide 1920×1080</source>
        <translation>幻灯片 1920×1080</translation>
    </message>
    <message>
        <source>Print 300 dpi</source>
        <translation>打印 300 dpi</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>自定义…</translation>
    </message>
    <message>
        <source>HD 1280×720</source>
        <translation>高清 1280×720</translation>
    </message>
    <message>
        <source>Small 640×360</source>
        <translation>小尺寸 640×360</translation>
    </message>
    <message>
        <source>Replace file?</source>
        <translation>替换文件？</translation>
    </message>
    <message>
        <source>{name} already exists in {folder}.
Do you want to replace it?</source>
        <translation>{folder} 中已有 {name}。
要替换它吗？</translation>
    </message>
    <message>
        <source>file to write</source>
        <translation>要写入的文件</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Export figure</source>
        <translation>导出图</translation>
    </message>
    <message>
        <source>PNG image (*.png);;SVG vector (*.svg);;PDF (*.pdf)</source>
        <translation>PNG 图像 (*.png);;SVG 矢量图 (*.svg);;PDF (*.pdf)</translation>
    </message>
    <message>
        <source>PNG image</source>
        <translation>PNG 图像</translation>
    </message>
    <message>
        <source>SVG (vector)</source>
        <translation>SVG（矢量）</translation>
    </message>
    <message>
        <source>PDF (vector)</source>
        <translation>PDF（矢量）</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Transparent background</source>
        <translation>透明背景</translation>
    </message>
    <message>
        <source> of 0–{last}</source>
        <translation>（0–{last}）</translation>
    </message>
    <message>
        <source>The step the figure shows (the window&apos;s current step). Heatmaps mark it with a triangle under its column instead of drawing the cursor over the data; the file&apos;s title names it.</source>
        <translation>图中显示的时间步（即窗口的当前步）。热图在该列下方用三角形标出它，而不是在数据上画光标；文件的标题会写明这一步。</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Step:</source>
        <translation>时间步：</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>尺寸：</translation>
    </message>
    <message>
        <source>Custom size:</source>
        <translation>自定义尺寸：</translation>
    </message>
    <message>
        <source>Exported {panel} at step {step} to {path} ({w}×{h} px)</source>
        <translation>已将第 {step} 步的{panel}导出到 {path}（{w}×{h} 像素）</translation>
    </message>
    <message>
        <source>Rendering {n} frames…</source>
        <translation>正在渲染 {n} 帧…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Export animation</source>
        <translation>导出动画</translation>
    </message>
    <message>
        <source>Rendering frame {k} of {n}…</source>
        <translation>正在渲染第 {k} 帧，共 {n} 帧…</translation>
    </message>
    <message>
        <source>Finishing the file…</source>
        <translation>正在完成文件…</translation>
    </message>
    <message>
        <source>MP4 video (*.mp4);;GIF animation (*.gif)</source>
        <translation>MP4 视频 (*.mp4);;GIF 动画 (*.gif)</translation>
    </message>
    <message>
        <source>MP4 video (H.264)</source>
        <translation>MP4 视频（H.264）</translation>
    </message>
    <message>
        <source>GIF animation</source>
        <translation>GIF 动画</translation>
    </message>
    <message>
        <source> frames/s</source>
        <translation> 帧/秒</translation>
    </message>
    <message>
        <source>Frame rate:</source>
        <translation>帧率：</translation>
    </message>
    <message>
        <source>Steps (first, last):</source>
        <translation>时间步（起，止）：</translation>
    </message>
    <message>
        <source>Training time-lapse: one frame per weight snapshot, at the current step</source>
        <translation>训练延时动画：每个权重快照一帧，停在当前时间步</translation>
    </message>
    <message>
        <source>Each frame traces this input with the weights of one training snapshot and is titled with its step, epoch, loss and metric</source>
        <translation>每一帧用一个训练快照的权重追踪此输入，标题写明其训练步、轮次、损失和指标</translation>
    </message>
    <message>
        <source>nothing to animate: no model is traced yet</source>
        <translation>没有可生成动画的内容：尚未计算任何模型</translation>
    </message>
    <message>
        <source>the last step ({last}) comes before the first ({first})</source>
        <translation>最后一步（{last}）在第一步（{first}）之前</translation>
    </message>
    <message>
        <source>Exported {n} frames to {path}</source>
        <translation>已将 {n} 帧导出到 {path}</translation>
    </message>
    <message>
        <source>Animation export cancelled; nothing was written</source>
        <translation>动画导出已取消；未写入任何内容</translation>
    </message>
    <message>
        <source>Exported the training time-lapse ({n} snapshots) to {path}</source>
        <translation>已将训练延时动画（{n} 个快照）导出到 {path}</translation>
    </message>
    <message>
        <source>Export data</source>
        <translation>导出数据</translation>
    </message>
    <message>
        <source>Trace file (*.npz);;Tidy table (*.csv)</source>
        <translation>轨迹文件 (*.npz);;整洁表格 (*.csv)</translation>
    </message>
    <message>
        <source>Trace file (.npz, every layer and quantity)</source>
        <translation>轨迹文件（.npz，包含每一层和每个量）</translation>
    </message>
    <message>
        <source>Tidy table (.csv, a row per step and unit)</source>
        <translation>整洁表格（.csv，每个时间步和单元一行）</translation>
    </message>
    <message>
        <source>CSV: only the shown layer and direction</source>
        <translation>CSV：只含所显示的层和方向</translation>
    </message>
    <message>
        <source>CSV: only the pinned units</source>
        <translation>CSV：只含已固定的单元</translation>
    </message>
    <message>
        <source>nothing to export: no model is traced yet</source>
        <translation>没有可导出的内容：尚未计算任何模型</translation>
    </message>
    <message>
        <source>Exported the trace file to {path}</source>
        <translation>已将轨迹文件导出到 {path}</translation>
    </message>
    <message>
        <source>Exported {n} rows to {path}</source>
        <translation>已将 {n} 行导出到 {path}</translation>
    </message>
    <message>
        <source>Nothing to copy yet</source>
        <translation>还没有可复制的内容</translation>
    </message>
    <message>
        <source>Copied {panel} to the clipboard ({w}×{h} px)</source>
        <translation>已将{panel}复制到剪贴板（{w}×{h} 像素）</translation>
    </message>
    <message>
        <source>Export &amp;figure…</source>
        <translation>导出图(&amp;F)…</translation>
    </message>
    <message>
        <source>A panel or the dashboard as PNG, SVG or PDF</source>
        <translation>把某个面板或整个仪表板导出为 PNG、SVG 或 PDF</translation>
    </message>
    <message>
        <source>Export &amp;animation…</source>
        <translation>导出动画(&amp;A)…</translation>
    </message>
    <message>
        <source>A range of steps as MP4 or GIF</source>
        <translation>把一段时间步导出为 MP4 或 GIF</translation>
    </message>
    <message>
        <source>Export &amp;data…</source>
        <translation>导出数据(&amp;D)…</translation>
    </message>
    <message>
        <source>The trace as a .npz trace file or a tidy .csv</source>
        <translation>把轨迹导出为 .npz 轨迹文件或整洁的 .csv</translation>
    </message>
    <message>
        <source>&amp;Copy picture</source>
        <translation>复制图片(&amp;C)</translation>
    </message>
    <message>
        <source>The focused panel (or the dashboard) to the clipboard</source>
        <translation>把获得焦点的面板（或整个仪表板）复制到剪贴板</translation>
    </message>
</context>
<context>
    <name>Intervene</name>
    <message>
        <source>every unit</source>
        <translation>每个单元</translation>
    </message>
    <message>
        <source>unit {units}</source>
        <translation>单元 {units}</translation>
    </message>
    <message>
        <source>at every step</source>
        <translation>每一步</translation>
    </message>
    <message>
        <source>at step {t}</source>
        <translation>第 {t} 步</translation>
    </message>
    <message>
        <source>from step {t}</source>
        <translation>从第 {t} 步起</translation>
    </message>
    <message>
        <source>before step {t}</source>
        <translation>第 {t} 步之前</translation>
    </message>
    <message>
        <source>at steps {first}–{last}</source>
        <translation>第 {first}–{last} 步</translation>
    </message>
    <message>
        <source> (layer {k} {direction})</source>
        <translation>（第 {k} 层，{direction}）</translation>
    </message>
    <message>
        <source>{what} of {units} {value} {steps}{where}</source>
        <translation>{what}（{units}）{value}，{steps}{where}</translation>
    </message>
    <message>
        <source>Adds {specs}</source>
        <translation>添加 {specs}</translation>
    </message>
    <message>
        <source>  and  </source>
        <translation>  和  </translation>
    </message>
    <message>
        <source> (frameworks&apos; z, the textbook&apos;s 1 − z)</source>
        <translation>（框架中的 z，即教材中的 1 − z）</translation>
    </message>
    <message>
        <source>Clamp {name} of unit {u} to {v} from step {t}</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}钳制为 {v}</translation>
    </message>
    <message>
        <source>Asks for the value (gates run from 0 to 1)</source>
        <translation>询问数值（门的取值范围为 0 到 1）</translation>
    </message>
    <message>
        <source>Clamp {name} of unit {u} from step {t} to</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}钳制为</translation>
    </message>
    <message>
        <source>Clamp {name} of unit {u} to a value… from step {t}</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}钳制为某个值…</translation>
    </message>
    <message>
        <source>Clamp {name} of unit {u} at every step to</source>
        <translation>在每一步将单元 {u} 的{name}钳制为</translation>
    </message>
    <message>
        <source>Clamp {name} of unit {u} to a value… at every step</source>
        <translation>在每一步将单元 {u} 的{name}钳制为某个值…</translation>
    </message>
    <message>
        <source>Set {name} of unit {u} to 0 from step {t}</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}设为 0</translation>
    </message>
    <message>
        <source>Set {name} of unit {u} from step {t} to</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}设为</translation>
    </message>
    <message>
        <source>Set {name} of unit {u} to a value… from step {t}</source>
        <translation>从第 {t} 步起将单元 {u} 的{name}设为某个值…</translation>
    </message>
    <message>
        <source>Asks for the value (candidates run from −1 to 1)</source>
        <translation>询问数值（候选值的范围为 −1 到 1）</translation>
    </message>
    <message>
        <source>Set h of unit {u} at step {t} to</source>
        <translation>在第 {t} 步将单元 {u} 的 h 设为</translation>
    </message>
    <message>
        <source>Set h of unit {u} at step {t}…</source>
        <translation>设定单元 {u} 在第 {t} 步的 h…</translation>
    </message>
    <message>
        <source>Asks for the value; later steps follow from it</source>
        <translation>询问数值；之后的各步由它推出</translation>
    </message>
    <message>
        <source>Silence unit {u} (h = 0 and c = 0 at every step)</source>
        <translation>静默单元 {u}（每一步 h = 0 且 c = 0）</translation>
    </message>
    <message>
        <source>Silence unit {u} (h = 0 at every step)</source>
        <translation>静默单元 {u}（每一步 h = 0）</translation>
    </message>
    <message>
        <source>Set c of unit {u} at step {t}…</source>
        <translation>设定单元 {u} 在第 {t} 步的 c…</translation>
    </message>
    <message>
        <source>Set c of unit {u} at step {t} to</source>
        <translation>在第 {t} 步将单元 {u} 的 c 设为</translation>
    </message>
    <message>
        <source>Asks for the value (the cell state&apos;s now is the default); h_t and every later step follow</source>
        <translation>询问数值（默认为记忆元当前的值）；h_t 和之后的每一步随之改变</translation>
    </message>
    <message>
        <source>Interventions list…</source>
        <translation>干预列表…</translation>
    </message>
    <message>
        <source>Intervene</source>
        <translation>干预</translation>
    </message>
</context>
<context>
    <name>Interventions</name>
    <message>
        <source>Not added: {error}</source>
        <translation>未添加：{error}</translation>
    </message>
    <message>
        <source>Cleared {n} intervention: the original run is shown</source>
        <translation>已清除 {n} 项干预：显示原始运行</translation>
    </message>
    <message>
        <source>Cleared {n} interventions: the original run is shown</source>
        <translation>已清除 {n} 项干预：显示原始运行</translation>
    </message>
    <message>
        <source>Switched off (does not fit): </source>
        <translation>已关闭（不适用）：</translation>
    </message>
    <message>
        <source>Switched off (does not fit this input): </source>
        <translation>已关闭（不适用于此输入）：</translation>
    </message>
    <message>
        <source>Re-traced with {n} intervention</source>
        <translation>已带 {n} 项干预重新计算</translation>
    </message>
    <message>
        <source>Re-traced with {n} interventions</source>
        <translation>已带 {n} 项干预重新计算</translation>
    </message>
    <message>
        <source>The original run is shown</source>
        <translation>显示的是原始运行</translation>
    </message>
    <message>
        <source>Cleared {n} intervention: it was for the previous model</source>
        <translation>已清除 {n} 项干预：它属于之前的模型</translation>
    </message>
    <message>
        <source>Cleared {n} interventions: they were for the previous model</source>
        <translation>已清除 {n} 项干预：它们属于之前的模型</translation>
    </message>
    <message>
        <source>; +{n} more</source>
        <translation>；另有 {n} 项</translation>
    </message>
    <message>
        <source> — INTERVENED ({n}): {specs}</source>
        <translation> — 已干预（{n} 项）：{specs}</translation>
    </message>
    <message>
        <source>&amp;Interventions</source>
        <translation>干预(&amp;I)</translation>
    </message>
    <message>
        <source>Interventions &amp;list</source>
        <translation>干预列表(&amp;L)</translation>
    </message>
    <message>
        <source>Show or hide the list of interventions, with their on/off switches (Ctrl+I)</source>
        <translation>显示或隐藏干预列表及各项的开关 (Ctrl+I)</translation>
    </message>
    <message>
        <source>&amp;Add…</source>
        <translation>添加(&amp;A)…</translation>
    </message>
    <message>
        <source>Type a spec: layer0.forward.forget_gate[8]=0@10: (checked as you type)</source>
        <translation>输入干预规格，例如 layer0.forward.forget_gate[8]=0@10:（输入时即检查）</translation>
    </message>
    <message>
        <source>&amp;Clear all</source>
        <translation>全部清除(&amp;C)</translation>
    </message>
    <message>
        <source>Remove every intervention and show the original run (Ctrl+Shift+Backspace)</source>
        <translation>移除所有干预，显示原始运行 (Ctrl+Shift+Backspace)</translation>
    </message>
    <message>
        <source>Lecture &amp;presets (whole layer)</source>
        <translation>课堂预设（整层）(&amp;P)</translation>
    </message>
    <message>
        <source>Show &amp;original beside intervened</source>
        <translation>在干预结果旁显示原始运行(&amp;O)</translation>
    </message>
    <message>
        <source>Draw the run without interventions faintly beside the intervened one (traces, the task&apos;s prediction)</source>
        <translation>在干预后的运行旁以淡色绘出未干预的运行（单元曲线、任务的预测）</translation>
    </message>
    <message>
        <source>Heatmaps: show &amp;difference</source>
        <translation>热图：显示差值(&amp;D)</translation>
    </message>
    <message>
        <source>Heatmaps show intervened − original: exactly what changed lights up</source>
        <translation>热图显示“干预后 − 原始”：发生变化之处一目了然</translation>
    </message>
</context>
<context>
    <name>InterventionsDock</name>
    <message>
        <source>No interventions. Right-click a heatmap row, a unit&apos;s line in the unit traces or a gate in the cell diagram, pick a preset below, or Add… a spec.</source>
        <translation>没有干预。右键单击热图的某一行、单元曲线中某个单元的线或单元结构图中的某个门，选择下方的预设，或“添加…”一条规格。</translation>
    </message>
    <message>
        <source>Tick to switch an intervention on, untick to compare without it; double-click to edit</source>
        <translation>勾选以启用干预，取消勾选以对比无干预的结果；双击可编辑</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Type a spec, e.g. layer0.forward.forget_gate[8]=0@10:</source>
        <translation>输入规格，例如 layer0.forward.forget_gate[8]=0@10:</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>Change the selected spec</source>
        <translation>修改所选规格</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected spec</source>
        <translation>移除所选规格</translation>
    </message>
    <message>
        <source>Clear all</source>
        <translation>全部清除</translation>
    </message>
    <message>
        <source>Remove every intervention and show the original run (Ctrl+Shift+Backspace)</source>
        <translation>移除所有干预，显示原始运行 (Ctrl+Shift+Backspace)</translation>
    </message>
    <message>
        <source>Lecture presets (every unit of the shown layer):</source>
        <translation>课堂预设（作用于所显示层的每个单元）：</translation>
    </message>
    <message>
        <source>applied to the shown run</source>
        <translation>已应用于显示的运行</translation>
    </message>
    <message>
        <source>on (re-tracing…)</source>
        <translation>已启用（正在重新计算…）</translation>
    </message>
    <message>
        <source>off</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Add an intervention</source>
        <translation>添加干预</translation>
    </message>
    <message>
        <source>Edit the intervention</source>
        <translation>编辑干预</translation>
    </message>
    <message>
        <source>Spec:</source>
        <translation>规格：</translation>
    </message>
    <message>
        <source>layer {k} {direction}</source>
        <translation>第 {k} 层 {direction}</translation>
    </message>
    <message>
        <source>set to</source>
        <translation>设为</translation>
    </message>
    <message>
        <source>scale by</source>
        <translation>乘以</translation>
    </message>
    <message>
        <source>add</source>
        <translation>加上</translation>
    </message>
    <message>
        <source>from</source>
        <translation>从</translation>
    </message>
    <message>
        <source>up to (not incl.)</source>
        <translation>到（不含）</translation>
    </message>
    <message>
        <source>where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>quantity</source>
        <translation>量</translation>
    </message>
    <message>
        <source>units</source>
        <translation>单元</translation>
    </message>
    <message>
        <source>how</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>steps</source>
        <translation>时间步</translation>
    </message>
</context>
<context>
    <name>Layouts</name>
    <message>
        <source>&amp;Dashboard (all five panels)</source>
        <translation>仪表板（全部五个面板）(&amp;D)</translation>
    </message>
    <message>
        <source>Every panel at once: input and output, heatmaps, cell diagram, unit traces, saturation</source>
        <translation>同时显示所有面板：输入与输出、热图、单元结构图、单元曲线、饱和度</translation>
    </message>
    <message>
        <source>&amp;Input and cell diagram</source>
        <translation>输入与单元结构图(&amp;I)</translation>
    </message>
    <message>
        <source>What the model reads and predicts above the cell that does it: the lecture&apos;s main view</source>
        <translation>上方是模型读到的输入和它的预测，下方是完成计算的单元：课堂的主视图</translation>
    </message>
    <message>
        <source>&amp;Heatmaps and unit traces</source>
        <translation>热图与单元曲线(&amp;H)</translation>
    </message>
    <message>
        <source>Every gate of every unit beside the pinned units&apos; curves</source>
        <translation>所有单元的每个门，旁边是已固定单元的曲线</translation>
    </message>
    <message>
        <source>&amp;Cell diagram</source>
        <translation>单元结构图(&amp;C)</translation>
    </message>
    <message>
        <source>The cell diagram alone, as large as the window</source>
        <translation>只显示单元结构图，占满窗口</translation>
    </message>
    <message>
        <source>Gate heat&amp;maps</source>
        <translation>门控热图(&amp;M)</translation>
    </message>
    <message>
        <source>The gate heatmaps alone</source>
        <translation>只显示门控热图</translation>
    </message>
    <message>
        <source>Unit &amp;traces</source>
        <translation>单元曲线(&amp;T)</translation>
    </message>
    <message>
        <source>The pinned units&apos; curves alone</source>
        <translation>只显示已固定单元的曲线</translation>
    </message>
    <message>
        <source>Input and &amp;output</source>
        <translation>输入与输出(&amp;O)</translation>
    </message>
    <message>
        <source>The task&apos;s input and the model&apos;s prediction alone</source>
        <translation>只显示任务的输入和模型的预测</translation>
    </message>
    <message>
        <source>&amp;Saturation</source>
        <translation>饱和度(&amp;S)</translation>
    </message>
    <message>
        <source>Karpathy&apos;s saturation scatter alone</source>
        <translation>只显示 Karpathy 的门饱和度散点图</translation>
    </message>
    <message>
        <source>&amp;Memory: input and gradients through time</source>
        <translation>记忆：输入与随时间的梯度(&amp;M)</translation>
    </message>
    <message>
        <source>Which earlier inputs matter for the output at the cursor: the input shaded by its connectivity above the gradient norms on a log axis, dy/dc per unit and the forget gates&apos; product</source>
        <translation>哪些较早的输入影响光标处的输出：上方是按连通度着色的输入，下方是对数坐标上的梯度范数、各单元的 dy/dc 以及遗忘门的连乘积</translation>
    </message>
</context>
<context>
    <name>Loading</name>
    <message>
        <source>Sequences (*.npy *.csv *.txt);;All files (*)</source>
        <translation>序列 (*.npy *.csv *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Model files</source>
        <translation>模型文件</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
    <message>
        <source>Opening {name}…</source>
        <translation>正在打开 {name}…</translation>
    </message>
    <message>
        <source>; kept {name}</source>
        <translation>；保留 {name}</translation>
    </message>
    <message>
        <source>; open a model with File ▸ Open</source>
        <translation>；请通过“文件 ▸ 打开模型”打开一个模型</translation>
    </message>
    <message>
        <source>Cancelled opening {name}</source>
        <translation>已取消打开 {name}</translation>
    </message>
    <message>
        <source>Cancelled re-tracing with the interventions{kept} as shown</source>
        <translation>已取消带干预的重新计算{kept}，保持当前显示</translation>
    </message>
    <message>
        <source>Cancelled tracing the new input</source>
        <translation>已取消计算新的输入</translation>
    </message>
    <message>
        <source>Open model</source>
        <translation>打开模型</translation>
    </message>
    <message>
        <source>Open input sequence</source>
        <translation>打开输入序列</translation>
    </message>
    <message>
        <source>Cannot read the sequence</source>
        <translation>无法读取序列</translation>
    </message>
    <message>
        <source>Cannot open {name}</source>
        <translation>无法打开 {name}</translation>
    </message>
    <message>
        <source>Cannot show this input</source>
        <translation>无法显示此输入</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>此模型</translation>
    </message>
    <message>
        <source>The panels draw NaN values in magenta. &apos;gateviz info&apos; lists the tensors that hold NaN or Inf.</source>
        <translation>面板用品红色绘出 NaN 值。“gateviz info”会列出含有 NaN 或 Inf 的张量。</translation>
    </message>
    <message>
        <source>NaN or Inf in the model</source>
        <translation>模型中有 NaN 或 Inf</translation>
    </message>
    <message>
        <source>Something went wrong in {where}: {message}</source>
        <translation>{where} 中出错：{message}</translation>
    </message>
    <message>
        <source>{message}

(in {where})

The window keeps running; please report this with the text printed in the terminal.</source>
        <translation>{message}

（位于 {where}）

窗口仍可继续使用；请连同终端中打印的文字一起报告此问题。</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>出错了</translation>
    </message>
    <message>
        <source>The encoder&apos;s steps are not drawn on this time axis ({why}); the decoder starts from its final state</source>
        <translation>编码器的时间步未画在这条时间轴上（{why}）；解码器从编码器的最终状态开始</translation>
    </message>
    <message>
        <source>Cannot trace this input</source>
        <translation>无法计算此输入</translation>
    </message>
    <message>
        <source>first {fit} of {steps} steps</source>
        <translation>{steps} 步中的前 {fit} 步</translation>
    </message>
    <message>
        <source>Tracing the {name}…</source>
        <translation>正在计算{name}…</translation>
    </message>
    <message>
        <source>Kept {name}</source>
        <translation>保留了 {name}</translation>
    </message>
    <message>
        <source>Input too long for the memory available</source>
        <translation>输入太长，可用内存不足</translation>
    </message>
    <message>
        <source>Tracing all {steps} steps needs about {needed}; only {usable} can be used now.

Trace the first {fit} steps instead?</source>
        <translation>计算全部 {steps} 步约需 {needed}；目前只有 {usable} 可用。

改为只计算前 {fit} 步吗？</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Playback</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Show or hide the {panel} panel</source>
        <translation>显示或隐藏“{panel}”面板</translation>
    </message>
    <message>
        <source>Save model</source>
        <translation>保存模型</translation>
    </message>
    <message>
        <source>gateviz model (*.gvm)</source>
        <translation>gateviz 模型 (*.gvm)</translation>
    </message>
    <message>
        <source>Cannot save the model</source>
        <translation>无法保存模型</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>Clear list</source>
        <translation>清空列表</translation>
    </message>
    <message>
        <source>(no recent files)</source>
        <translation>（没有最近的文件）</translation>
    </message>
    <message>
        <source>Gate equations</source>
        <translation>门控方程</translation>
    </message>
    <message>
        <source>About gateviz</source>
        <translation>关于 gateviz</translation>
    </message>
    <message>
        <source>Watch every gate of an LSTM, GRU or RNN, step by step, and export it for lectures.</source>
        <translation>逐个时间步观察 LSTM、GRU 或 RNN 的每一个门，并导出用于课堂。</translation>
    </message>
    <message>
        <source>Notation: x_t the input at step t, h_{t−1} and c_{t−1} the states before it, c_t and h_t after;
⊙ the element-wise product; &quot;_&quot; starts a subscript.

LSTM (blocks i, f, g, o):
  i_t = σ(W_i x_t + U_i h_{t−1} + b_i)      input gate: how much new content is written
  f_t = σ(W_f x_t + U_f h_{t−1} + b_f)      forget gate: how much of c_{t−1} is kept
  g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)   cell candidate: the new content
  o_t = σ(W_o x_t + U_o h_{t−1} + b_o)      output gate
  c_t = f_t⊙c_{t−1} + i_t⊙g_t               kept + written
  h_t = o_t⊙tanh(c_t)

GRU (blocks r, z, n), PyTorch/Keras/ONNX convention (the default):
  r_t = σ(W_r x_t + U_r h_{t−1} + b_r)
  z_t = σ(W_z x_t + U_z h_{t−1} + b_z)
  n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))
  h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t          a high z_t keeps the old state
GRU, textbook convention (View ▸ GRU: textbook convention):
  h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t          the same cell: this z_t is 1 − the z_t above, h̃_t is n_t

RNN:
  h_t = tanh(W x_t + U h_{t−1} + b)</source>
        <translation>记号：x_t 为第 t 步的输入，h_{t−1} 和 c_{t−1} 为此前的状态，c_t 和 h_t 为此后的状态；
⊙ 为按元素乘法；“_”表示下标。

LSTM（分块 i、f、g、o）：
  i_t = σ(W_i x_t + U_i h_{t−1} + b_i)      输入门：写入多少新内容
  f_t = σ(W_f x_t + U_f h_{t−1} + b_f)      遗忘门：保留多少 c_{t−1}
  g_t = tanh(W_g x_t + U_g h_{t−1} + b_g)   候选记忆元：新内容
  o_t = σ(W_o x_t + U_o h_{t−1} + b_o)      输出门
  c_t = f_t⊙c_{t−1} + i_t⊙g_t               保留的 + 写入的
  h_t = o_t⊙tanh(c_t)

GRU（分块 r、z、n），PyTorch/Keras/ONNX 约定（默认）：
  r_t = σ(W_r x_t + U_r h_{t−1} + b_r)      重置门
  z_t = σ(W_z x_t + U_z h_{t−1} + b_z)      更新门
  n_t = tanh(W_n x_t + b_n + r_t⊙(U_n h_{t−1} + b_{hn}))   候选隐状态
  h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t          z_t 大时保留旧状态
GRU，教材约定（视图 ▸ GRU：教材约定）：
  h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t          同一个单元：这里的 z_t 是上式 z_t 的 1 − z_t，h̃_t 即 n_t

RNN：
  h_t = tanh(W x_t + U h_{t−1} + b)</translation>
    </message>
</context>
<context>
    <name>Menu</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open model…</source>
        <translation>打开模型(&amp;O)…</translation>
    </message>
    <message>
        <source>Open a model file (gateviz, PyTorch, Keras, ONNX)</source>
        <translation>打开模型文件（gateviz、PyTorch、Keras、ONNX）</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>Open &amp;sequence…</source>
        <translation>打开序列(&amp;S)…</translation>
    </message>
    <message>
        <source>Feed the model an input from a .npy, .csv or .txt file</source>
        <translation>从 .npy、.csv 或 .txt 文件读取输入交给模型</translation>
    </message>
    <message>
        <source>&amp;Save model…</source>
        <translation>保存模型(&amp;S)…</translation>
    </message>
    <message>
        <source>Save the current model as a gateviz model file (.gvm)</source>
        <translation>将当前模型保存为 gateviz 模型文件 (.gvm)</translation>
    </message>
    <message>
        <source>&amp;Compare models…</source>
        <translation>比较模型(&amp;C)…</translation>
    </message>
    <message>
        <source>RNN vs LSTM vs GRU: 2 to 4 models on one input, side by side</source>
        <translation>RNN、LSTM 与 GRU 对比：2 至 4 个模型并排处理同一输入</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Close gateviz</source>
        <translation>关闭 gateviz</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Bundled models</source>
        <translation>内置模型(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Train…</source>
        <translation>训练(&amp;T)…</translation>
    </message>
    <message>
        <source>Train a small model on a built-in task, with a live loss curve</source>
        <translation>在内置任务上训练一个小模型，实时显示损失曲线</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Layout</source>
        <translation>布局(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>面板(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Controls</source>
        <translation>控制(&amp;C)</translation>
    </message>
    <message>
        <source>Show or hide the model, input and unit controls</source>
        <translation>显示或隐藏模型、输入和单元的控制面板</translation>
    </message>
    <message>
        <source>Play&amp;back bar</source>
        <translation>播放栏(&amp;B)</translation>
    </message>
    <message>
        <source>Shade input by &amp;memory</source>
        <translation>按记忆为输入着色(&amp;M)</translation>
    </message>
    <message>
        <source>Shade each input step by how much the output at the cursor depends on it (||∂y/∂x_t||, the connectivity); the Memory panel shows the same as bars</source>
        <translation>按光标处的输出对每个输入时间步的依赖程度（||∂y/∂x_t||，即连通度）为其着色；“记忆”面板以柱状图显示同样的量</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Light background for the window and every plot</source>
        <translation>窗口和所有图表使用浅色背景</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Dark background for the window and every plot</source>
        <translation>窗口和所有图表使用深色背景</translation>
    </message>
    <message>
        <source>&amp;Presentation mode</source>
        <translation>演示模式(&amp;P)</translation>
    </message>
    <message>
        <source>Larger fonts and thicker lines for a lecture hall; hides the controls (View &gt; Controls shows them) (F5)</source>
        <translation>为阶梯教室使用更大的字体和更粗的线条；隐藏控制面板（“视图 &gt; 控制”可重新显示）(F5)</translation>
    </message>
    <message>
        <source>&amp;Colour map</source>
        <translation>颜色映射(&amp;C)</translation>
    </message>
    <message>
        <source>{name}: perceptually uniform and readable with colour-vision deficiencies</source>
        <translation>{name}：感知均匀，色觉障碍者也能分辨</translation>
    </message>
    <message>
        <source>Cell state: each &amp;unit to its own range</source>
        <translation>记忆元：每个单元使用各自的范围(&amp;U)</translation>
    </message>
    <message>
        <source>Draw each unit&apos;s cell state against that unit&apos;s own max |c| (heatmap rows, the cell diagram, the layer&apos;s c bars) instead of one range for all, so small units stay visible next to ones that grow large (Ctrl+U)</source>
        <translation>按每个单元自身的最大 |c| 绘制其记忆元（热图的行、单元结构图、该层的 c 柱），而不是所有单元共用一个范围，这样数值小的单元在数值很大的单元旁边仍然清晰可见 (Ctrl+U)</translation>
    </message>
    <message>
        <source>GRU: &amp;textbook convention, h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t</source>
        <translation>GRU：教材约定(&amp;T)，h_t = (1−z_t)⊙h_{t−1} + z_t⊙h̃_t</translation>
    </message>
    <message>
        <source>Show GRUs as textbooks write them: z_t is PyTorch&apos;s, Keras&apos; and ONNX&apos;s 1 − z_t, so a high z_t writes the candidate h̃_t. Relabels the cell diagram, its formulas, the z heatmap and traces, the saturation of z and the status bar; trace files and CSV exports keep the frameworks&apos; z. Off: the frameworks&apos; h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t, where a high z_t keeps the old state.</source>
        <translation>按教材（如《动手学深度学习》）的写法显示 GRU：这里的 z_t 是 PyTorch、Keras 和 ONNX 中的 1 − z_t，因此 z_t 大时写入候选隐状态 h̃_t。单元结构图及其公式、z 的热图和曲线、z 的饱和度以及状态栏都随之改变；轨迹文件和 CSV 导出仍保留框架中的 z。关闭时使用框架的写法 h_t = z_t⊙h_{t−1} + (1−z_t)⊙n_t，z_t 大时保留旧状态。</translation>
    </message>
    <message>
        <source>L&amp;anguage</source>
        <translation>语言(&amp;A)</translation>
    </message>
    <message>
        <source>The interface and exported figures in {language}; switches at once and is remembered</source>
        <translation>界面和导出的图使用{language}；立即切换并记住此选择</translation>
    </message>
    <message>
        <source>&amp;Full screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>Fill the screen with the window</source>
        <translation>窗口占满整个屏幕</translation>
    </message>
    <message>
        <source>&amp;Playback</source>
        <translation>播放(&amp;P)</translation>
    </message>
    <message>
        <source>Play / pause</source>
        <translation>播放 / 暂停</translation>
    </message>
    <message>
        <source>Step back</source>
        <translation>后退一步</translation>
    </message>
    <message>
        <source>Step forward</source>
        <translation>前进一步</translation>
    </message>
    <message>
        <source>Jump to start</source>
        <translation>跳到开头</translation>
    </message>
    <message>
        <source>Jump to end</source>
        <translation>跳到结尾</translation>
    </message>
    <message>
        <source>&amp;Loop</source>
        <translation>循环播放(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Gate equations</source>
        <translation>门控方程(&amp;G)</translation>
    </message>
    <message>
        <source>The equations every panel uses</source>
        <translation>所有面板所用的方程</translation>
    </message>
    <message>
        <source>&amp;About gateviz</source>
        <translation>关于 gateviz(&amp;A)</translation>
    </message>
    <message>
        <source>Version and what gateviz is</source>
        <translation>版本以及 gateviz 的简介</translation>
    </message>
</context>
<context>
    <name>Player</name>
    <message>
        <source>Jump to the first step (Home)</source>
        <translation>跳到第一步 (Home)</translation>
    </message>
    <message>
        <source>One step back (←)</source>
        <translation>后退一步 (←)</translation>
    </message>
    <message>
        <source>Play / pause (Space)</source>
        <translation>播放 / 暂停 (空格)</translation>
    </message>
    <message>
        <source>One step forward (→)</source>
        <translation>前进一步 (→)</translation>
    </message>
    <message>
        <source>Jump to the last step (End)</source>
        <translation>跳到最后一步 (End)</translation>
    </message>
    <message>
        <source>Time: drag to move every panel&apos;s cursor to that step</source>
        <translation>时间：拖动以把所有面板的光标移到该时间步</translation>
    </message>
    <message>
        <source>Current time step t / last step (steps count from 0)</source>
        <translation>当前时间步 t / 最后一步（从 0 开始计数）</translation>
    </message>
    <message>
        <source> steps/s</source>
        <translation> 步/秒</translation>
    </message>
    <message>
        <source>Playback speed in time steps per second</source>
        <translation>播放速度，单位为每秒时间步数</translation>
    </message>
    <message>
        <source>Loop</source>
        <translation>循环</translation>
    </message>
    <message>
        <source>Start again from step 0 after the last step</source>
        <translation>播放到最后一步后从第 0 步重新开始</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>No forgetting (f = 1)</source>
        <translation>不遗忘 (f = 1)</translation>
    </message>
    <message>
        <source>c_t = c_{t−1} + i_t⊙g_t: the cell only accumulates. Watch c drift and grow step after step: nothing is ever let go, so a counter never resets and the state saturates tanh(c).</source>
        <translation>c_t = c_{t−1} + i_t⊙g_t：记忆元只累加。观察 c 一步步漂移、增大：什么都不会被丢弃，所以计数器永不清零，状态使 tanh(c) 饱和。</translation>
    </message>
    <message>
        <source>No memory (f = 0)</source>
        <translation>无记忆 (f = 0)</translation>
    </message>
    <message>
        <source>c_t = i_t⊙g_t: the cell forgets everything at every step. Watch c follow the current input alone: the model cannot count or carry anything, and its predictions fall apart.</source>
        <translation>c_t = i_t⊙g_t：记忆元在每一步都遗忘一切。观察 c 只跟随当前输入：模型无法计数或进位，预测随之崩溃。</translation>
    </message>
    <message>
        <source>Input closed (i = 0)</source>
        <translation>关闭输入 (i = 0)</translation>
    </message>
    <message>
        <source>c_t = f_t⊙c_{t−1}: nothing new is written. Watch c stay at zero (it starts at zero) and h go flat: the model sees nothing of its input through the cell.</source>
        <translation>c_t = f_t⊙c_{t−1}：不写入任何新内容。观察 c 保持为零（它从零开始）、h 变得平坦：模型通过记忆元看不到任何输入。</translation>
    </message>
    <message>
        <source>Output always open (o = 1)</source>
        <translation>输出始终打开 (o = 1)</translation>
    </message>
    <message>
        <source>h_t = tanh(c_t): the whole cell is shown at every step. Watch h follow tanh(c) exactly; the units the output gate was hiding now reach the next step and the prediction.</source>
        <translation>h_t = tanh(c_t)：每一步都输出整个记忆元。观察 h 与 tanh(c) 完全一致；原先被输出门遮住的单元现在会传到下一步并影响预测。</translation>
    </message>
    <message>
        <source>Always keep (z = 1)</source>
        <translation>始终保留 (z = 1)</translation>
    </message>
    <message>
        <source>h_t = h_{t−1} (frameworks&apos; z; the textbook&apos;s z is 1 − z): the state never changes. Watch h stay at its start (zero) at every step: the model ignores its input entirely.</source>
        <translation>h_t = h_{t−1}（框架中的 z；教材中的 z 为 1 − z）：状态从不改变。观察 h 在每一步都停留在初值（零）：模型完全忽略输入。</translation>
    </message>
    <message>
        <source>Always overwrite (z = 0)</source>
        <translation>始终覆盖 (z = 0)</translation>
    </message>
    <message>
        <source>h_t = n_t (frameworks&apos; z; the textbook&apos;s z is 1 − z): the old state is replaced by the candidate at every step. Watch h jump with each input: memory survives only through r.</source>
        <translation>h_t = n_t（框架中的 z；教材中的 z 为 1 − z）：每一步旧状态都被候选隐状态取代。观察 h 随每个输入跳动：记忆只能通过 r 保留。</translation>
    </message>
    <message>
        <source>Reset closed (r = 0)</source>
        <translation>关闭重置门 (r = 0)</translation>
    </message>
    <message>
        <source>n_t = tanh(W_n x_t + b_n): the candidate ignores the previous state. Watch n follow the input alone; memory survives only through z&apos;s blend with h_{t−1}.</source>
        <translation>n_t = tanh(W_n x_t + b_n)：候选隐状态忽略先前的状态。观察 n 只跟随输入；记忆只能通过 z 与 h_{t−1} 的混合保留。</translation>
    </message>
    <message>
        <source>A plain RNN has no gates, so the gate presets do not apply: h_t = tanh(W x_t + U h_{t−1} + b). Right-click a heatmap row to silence a unit or set its h instead.</source>
        <translation>普通 RNN 没有门，因此门的预设不适用：h_t = tanh(W x_t + U h_{t−1} + b)。可以右键单击热图的某一行来静默某个单元或设定它的 h。</translation>
    </message>
    <message>
        <source>No presets for a plain RNN (it has no gates)</source>
        <translation>普通 RNN 没有预设（它没有门）</translation>
    </message>
    <message>
        <source>Adds {spec} (every unit of layer {layer} {direction}, every step).</source>
        <translation>添加 {spec}（第 {layer} 层{direction}的每个单元，每一步）。</translation>
    </message>
</context>
<context>
    <name>Progress</name>
    <message>
        <source>tracing layer {k} of {n}</source>
        <translation>正在计算第 {k} 层（共 {n} 层）</translation>
    </message>
    <message>
        <source>silenced {k} of {n} units</source>
        <translation>已静默 {k} / {n} 个单元</translation>
    </message>
    <message>
        <source> (input {i} of {n})</source>
        <translation>（输入 {i} / {n}）</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>Quantities</name>
    <message>
        <source>input gate i</source>
        <translation>输入门 i</translation>
    </message>
    <message>
        <source>forget gate f</source>
        <translation>遗忘门 f</translation>
    </message>
    <message>
        <source>candidate g</source>
        <translation>候选记忆元 g</translation>
    </message>
    <message>
        <source>output gate o</source>
        <translation>输出门 o</translation>
    </message>
    <message>
        <source>cell state c</source>
        <translation>记忆元 c</translation>
    </message>
    <message>
        <source>hidden state h</source>
        <translation>隐状态 h</translation>
    </message>
    <message>
        <source>reset gate r</source>
        <translation>重置门 r</translation>
    </message>
    <message>
        <source>update gate z</source>
        <translation>更新门 z</translation>
    </message>
    <message>
        <source>candidate n</source>
        <translation>候选隐状态 n</translation>
    </message>
</context>
<context>
    <name>Session</name>
    <message>
        <source>gateviz session (*.gvsession);;All files (*)</source>
        <translation>gateviz 会话 (*.gvsession);;所有文件 (*)</translation>
    </message>
    <message>
        <source>The session&apos;s model file is missing (moved or deleted):
{path}</source>
        <translation>会话的模型文件不见了（已移动或删除）：
{path}</translation>
    </message>
    <message>
        <source>The session&apos;s model file has changed since the session was saved (its SHA-256 differs), so the view may not fit it:
{path}</source>
        <translation>会话保存之后，它的模型文件已被修改（SHA-256 不同），保存的视图可能与它不符：
{path}</translation>
    </message>
    <message>
        <source>Model file not found</source>
        <translation>找不到模型文件</translation>
    </message>
    <message>
        <source>Model file changed</source>
        <translation>模型文件已修改</translation>
    </message>
    <message>
        <source>Locate…</source>
        <translation>查找…</translation>
    </message>
    <message>
        <source>Use the copy in the session</source>
        <translation>使用会话中保存的模型副本</translation>
    </message>
    <message>
        <source>Locate {name}</source>
        <translation>查找 {name}</translation>
    </message>
    <message>
        <source>{path} is not the file the session was saved with (its SHA-256 differs). The view may not fit it.

Continue with this file?</source>
        <translation>{path} 不是保存会话时的那个文件（SHA-256 不同），保存的视图可能与它不符。

仍用这个文件继续吗？</translation>
    </message>
    <message>
        <source>Save session</source>
        <translation>保存会话</translation>
    </message>
    <message>
        <source>Cannot save the session</source>
        <translation>无法保存会话</translation>
    </message>
    <message>
        <source>Saved session {path}</source>
        <translation>已保存会话 {path}</translation>
    </message>
    <message>
        <source>Open session</source>
        <translation>打开会话</translation>
    </message>
    <message>
        <source>Cannot open the session</source>
        <translation>无法打开会话</translation>
    </message>
    <message>
        <source>Opening session {name}…</source>
        <translation>正在打开会话 {name}…</translation>
    </message>
    <message>
        <source>Cannot restore the session&apos;s view</source>
        <translation>无法恢复会话的视图</translation>
    </message>
    <message>
        <source>Opened session {name}</source>
        <translation>已打开会话 {name}</translation>
    </message>
    <message>
        <source>Session not opened: its model file {path} was not located</source>
        <translation>未打开会话：没有找到它的模型文件 {path}</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>Open Sess&amp;ion…</source>
        <translation>打开会话(&amp;I)…</translation>
    </message>
    <message>
        <source>Open a session file: a model, its input and the whole view as they were saved</source>
        <translation>打开会话文件：模型、输入序列和整个视图，与保存时完全一样</translation>
    </message>
    <message>
        <source>Save Sessio&amp;n…</source>
        <translation>保存会话(&amp;N)…</translation>
    </message>
    <message>
        <source>Save the model, the input and the whole view (layer, pins, step, interventions, layout, theme, language) to open again exactly</source>
        <translation>保存模型、输入序列和整个视图（层、已固定的单元、时间步、干预、布局、主题、语言），以便原样重新打开</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>They would be unreadable at this window and font size. Enlarge the window, leave presentation mode (F5) or choose a layout with fewer panels (View ▸ Layout, Ctrl+1 … Ctrl+8).</source>
        <translation>在当前窗口和字号下它们将无法看清。请放大窗口、退出演示模式 (F5)，或选择面板较少的布局（视图 ▸ 布局，Ctrl+1 … Ctrl+8）。</translation>
    </message>
    <message>
        <source>no model</source>
        <translation>没有模型</translation>
    </message>
    <message>
        <source>The current model and input</source>
        <translation>当前的模型和输入</translation>
    </message>
    <message>
        <source>The first pinned unit&apos;s gates and states at the current step</source>
        <translation>第一个已固定单元在当前时间步的门和状态</translation>
    </message>
    <message>
        <source>Loading or tracing in the background; the window stays usable</source>
        <translation>正在后台加载或计算；窗口仍可使用</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop waiting for this job (Esc) and keep the model shown now</source>
        <translation>不再等待此任务 (Esc)，保留当前显示的模型</translation>
    </message>
    <message>
        <source>⚡ {n} intervention active</source>
        <translation>⚡ {n} 项干预生效中</translation>
    </message>
    <message>
        <source>⚡ {n} interventions active</source>
        <translation>⚡ {n} 项干预生效中</translation>
    </message>
    <message>
        <source>({n} more switched off)</source>
        <translation>（另有 {n} 项已关闭）</translation>
    </message>
    <message>
        <source>The shown run is intervened:</source>
        <translation>显示的是干预后的运行：</translation>
    </message>
    <message>
        <source>Click to show the Interventions list (Ctrl+I).</source>
        <translation>单击显示干预列表 (Ctrl+I)。</translation>
    </message>
    <message>
        <source>. Panels draw NaN in magenta; gateviz info MODEL names the tensors.</source>
        <translation>。面板用品红色绘出 NaN；gateviz info MODEL 会列出相应的张量。</translation>
    </message>
    <message>
        <source>unit {u}</source>
        <translation>单元 {u}</translation>
    </message>
    <message>
        <source>The first pinned unit&apos;s gates and states at the current step:</source>
        <translation>第一个已固定单元在当前时间步的门和状态：</translation>
    </message>
    <message>
        <source>under the mouse: {sym} of unit {unit} at t = {t}: {v}</source>
        <translation>鼠标处：单元 {unit} 在 t = {t} 时的 {sym}：{v}</translation>
    </message>
    <message>
        <source>{sym} of unit {unit}, t = {t}: {v}</source>
        <translation>单元 {unit} 的 {sym}，t = {t}：{v}</translation>
    </message>
    <message>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <source>{n} panel left out</source>
        <translation>{n} 个面板未显示</translation>
    </message>
    <message>
        <source>{n} panels left out</source>
        <translation>{n} 个面板未显示</translation>
    </message>
    <message>
        <source>Not shown for lack of room: {names}.</source>
        <translation>因空间不足未显示：{names}。</translation>
    </message>
    <message>
        <source>working</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>{message}… {seconds} s</source>
        <translation>{message}… {seconds} 秒</translation>
    </message>
</context>
<context>
    <name>Train</name>
    <message>
        <source>RNN (tanh)</source>
        <translation>RNN（tanh）</translation>
    </message>
    <message>
        <source>lower is better</source>
        <translation>越低越好</translation>
    </message>
    <message>
        <source>higher is better</source>
        <translation>越高越好</translation>
    </message>
    <message>
        <source>held-out {metric}{value} ({better})</source>
        <translation>留出集上的{metric}{value}（{better}）</translation>
    </message>
    <message>
        <source>Train a model</source>
        <translation>训练模型</translation>
    </message>
    <message>
        <source>The built-in task: its data, its read-out head and its quality metric</source>
        <translation>内置任务：它的数据、读出层和质量指标</translation>
    </message>
    <message>
        <source>LSTM (gates i, f, g, o and a cell state), GRU (gates r, z) or a plain tanh RNN</source>
        <translation>LSTM（门 i、f、g、o 和记忆元）、GRU（门 r、z）或普通的 tanh RNN</translation>
    </message>
    <message>
        <source>Hidden units per layer (and direction)</source>
        <translation>每层（每个方向）的隐藏单元数</translation>
    </message>
    <message>
        <source>Stacked recurrent layers</source>
        <translation>堆叠的循环层数</translation>
    </message>
    <message>
        <source>bidirectional</source>
        <translation>双向</translation>
    </message>
    <message>
        <source>Passes over the training data</source>
        <translation>遍历训练数据的次数</translation>
    </message>
    <message>
        <source>The same seed gives the same weights on this machine</source>
        <translation>在同一台机器上，相同的种子得到相同的权重</translation>
    </message>
    <message>
        <source>Show training live in the window</source>
        <translation>在主窗口中实时显示训练</translation>
    </message>
    <message>
        <source>While training, the main window shows the newest weight snapshot on its current input (a few times per second; training never waits for it)</source>
        <translation>训练时，主窗口用最新的权重快照追踪当前输入（每秒几次；训练从不等待显示）</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Cell</source>
        <translation>单元类型</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>单元数</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation>轮数</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>training loss</source>
        <translation>训练损失</translation>
    </message>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>held-out metric</source>
        <translation>留出集指标</translation>
    </message>
    <message>
        <source>Loss after every step (log scale) and the task&apos;s metric on held-out data</source>
        <translation>每一步之后的损失（对数坐标）以及任务在留出数据上的指标</translation>
    </message>
    <message>
        <source>Choose a task and press Train.</source>
        <translation>选择一个任务，然后按“训练”。</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Start training in the background; the window stays usable</source>
        <translation>在后台开始训练；窗口仍可使用</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop after the current step; the model so far can still be used</source>
        <translation>在当前步之后停止；仍可使用到目前为止的模型</translation>
    </message>
    <message>
        <source>Use this model</source>
        <translation>使用此模型</translation>
    </message>
    <message>
        <source>Show the model of the last completed step in the window</source>
        <translation>在窗口中显示最后完成的一步得到的模型</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>A bidirectional model would read the future of a next-step task</source>
        <translation>双向模型会读到“预测下一步”任务的未来</translation>
    </message>
    <message>
        <source>A second direction reads the sequence from the end; panels show either direction</source>
        <translation>第二个方向从序列末尾开始读；面板可显示任一方向</translation>
    </message>
    <message>
        <source>Preparing the {task} data…</source>
        <translation>正在准备 {task} 的数据…</translation>
    </message>
    <message>
        <source>  — stopping…</source>
        <translation>  — 正在停止…</translation>
    </message>
    <message>
        <source>epoch {epoch}, step {step}/{total}, loss {loss}{metric}, {seconds} s</source>
        <translation>第 {epoch} 轮，第 {step}/{total} 步，损失 {loss}{metric}，{seconds} 秒</translation>
    </message>
    <message>
        <source>  — stopped. “Use this model” shows the model so far.</source>
        <translation>  — 已停止。“使用此模型”可显示到目前为止的模型。</translation>
    </message>
    <message>
        <source>  — done; the window shows the new model.</source>
        <translation>  — 完成；窗口显示新模型。</translation>
    </message>
    <message>
        <source>Training failed.</source>
        <translation>训练失败。</translation>
    </message>
    <message>
        <source>Training failed</source>
        <translation>训练失败</translation>
    </message>
</context>
<context>
    <name>Training</name>
    <message>
        <source>Cannot trace this training snapshot: {why}</source>
        <translation>无法追踪这个训练快照：{why}</translation>
    </message>
    <message>
        <source>Play training: show the snapshots one after another</source>
        <translation>播放训练：依次显示各个快照</translation>
    </message>
    <message>
        <source>training step</source>
        <translation>训练步</translation>
    </message>
    <message>
        <source>Training step: drag to trace this input with the weights of that snapshot of training</source>
        <translation>训练步：拖动以用该训练快照的权重追踪此输入</translation>
    </message>
    <message>
        <source>Snapshot {k} of {n}: {title}</source>
        <translation>第 {k} 个快照（共 {n} 个）：{title}</translation>
    </message>
    <message>
        <source>Training loss (blue) at each snapshot, log scale</source>
        <translation>各快照的训练损失（蓝色，对数刻度）</translation>
    </message>
    <message>
        <source>; {metric} on held-out data (orange)</source>
        <translation>；留出集上的 {metric}（橙色）</translation>
    </message>
    <message>
        <source>. Each curve uses its own range; the line marks the snapshot shown. Steps on a log scale.</source>
        <translation>。每条曲线按各自的范围缩放；竖线标出当前显示的快照。训练步为对数刻度。</translation>
    </message>
    <message>
        <source>Play / pause training</source>
        <translation>播放 / 暂停训练过程</translation>
    </message>
    <message>
        <source>Show the model&apos;s training snapshots one after another (models trained with snapshots)</source>
        <translation>依次显示模型的各个训练快照（适用于带快照训练的模型）</translation>
    </message>
</context>
<context>
    <name>Workers</name>
    <message>
        <source>reading {name}</source>
        <translation>正在读取 {name}</translation>
    </message>
    <message>
        <source>preparing the panels</source>
        <translation>正在准备面板</translation>
    </message>
</context>
</TS>
